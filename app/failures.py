"""What a failed run sets off (``settings.on_failure``): a run of an error workflow, inline
sends, or both; applied by the worker's ``run_failed`` job, enqueued once the failure is
stored (``Family.ended``).

The job may run more than once (arq delivers at least once): the error workflow's run is
started with the failure's own idempotency key, so a repeated start finds the first one's
run, and inline actions are claimed in the store before they are sent (``Notifier``), so
none is sent twice. The sends go first: a limit that delays the error workflow (the job
tries again when it says, ``RUN_FAILED_TRIES`` times in all) does not hold them back. A run started by on_failure is marked so (its parent's step is
``$on_failure``) and its own failure sets nothing off: an error workflow that fails, or a
workflow naming itself, cannot loop. What was done is noted in the failed run's history.
"""

import logging
from dataclasses import dataclass
from typing import Any

from arq.worker import Retry

from app.actions.base import ConnectorError
from app.clock import Clock
from app.engine.calls.notices import Notice, Notifier, runs_links
from app.engine.walk.family import (
    DELAYED,
    ON_FAILURE_STEP,
    failure_delayed,
    failure_handled,
    failures,
    started_by_on_failure,
)
from app.engine.walk.launcher import Launch, Launcher
from app.errors import NotFound
from app.models.document import WorkflowDocument
from app.models.run import Run, RunStatus
from app.models.workflow_settings import OnFailure
from app.store.protocol import Store
from app.store.rules import RUN_WRITE_ATTEMPTS

log = logging.getLogger(__name__)
# The event type of an error workflow's run (``{{event.type}}``).
FAILED_EVENT = "workflow_failed"
# Tries of a ``run_failed`` job: each time a limit says later, the error workflow's start
# waits as long as the limit says (or 2, 4, 8, ... s), then the job's last try notes it
# was not started.
RUN_FAILED_TRIES = 8
# A failed run's last transition's reason → the failure's code (anything else: a step).
CODES = {"timeout": "timeout", "engine error": "engine_error", "compensation done": "compensated"}


@dataclass(frozen=True)
class FailureHandlers:
    store: Store
    launcher: Launcher
    notifier: Notifier
    clock: Clock
    # Where people reach the service, for the links to the failed run.
    base_url: str

    async def handle(self, tenant_id: str, run_id: str, failure: int, job_try: int = 1) -> None:
        """Apply the workflow's on_failure to the run's ``failure``-th failure: its inline
        sends first, then the start of its error workflow. May run more than once; raises
        arq's Retry when a limit says to start the error workflow later, until the job's
        last try (``RUN_FAILED_TRIES``), which notes that it was not started."""
        run = await self.store.get_run(tenant_id, run_id)
        if run.status != RunStatus.FAILED or started_by_on_failure(run):
            return  # retried since (its next failure has a job of its own), or a handler's
        if failures(run) != failure or failure_handled(run):
            return  # done: a job delivered again after it noted what it did
        version = await self.store.get_version(tenant_id, run.workflow_id, run.version)
        document = WorkflowDocument.model_validate(version.document)
        on_failure = document.settings.on_failure
        if on_failure is None:
            return
        details = await self.details(run, document, failure)
        delayed = failure_delayed(run)  # its sends were made and noted by an earlier try
        notes = [] if delayed else await self._send(run, on_failure, details, failure)
        workflow_id = on_failure.workflow_id
        if workflow_id is not None:
            try:
                notes.append(await self._start(run, workflow_id, details, failure))
            except ConnectorError as later:
                notes.append(await self._later(run, workflow_id, later, notes, job_try, delayed))
        await self._note(run, notes)

    async def _later(
        self,
        run: Run,
        workflow_id: str,
        later: ConnectorError,
        notes: list[str],
        job_try: int,
        delayed: bool,
    ) -> str:
        """A limit says to start the error workflow later: on the job's last try, the note
        that it was not started; before, the sends' notes and the delay are noted (once)
        and the job tries again when the limit says."""
        if job_try >= RUN_FAILED_TRIES:
            return f"on_failure: error workflow {workflow_id} not started: {later.message}"
        if not delayed:
            wait = f"{DELAYED}, error workflow {workflow_id} not started yet: {later.message}"
            await self._note(run, [*notes, wait])
        raise Retry(defer=later.retry_after or 2**job_try)

    async def _send(
        self, run: Run, on_failure: OnFailure, details: dict[str, Any], failure: int
    ) -> list[str]:
        """Send the inline actions, each claimed first; what each did, as notes."""
        if not on_failure.actions:
            return []
        notice = Notice(
            run.tenant_id,
            f"{run.run_id}:failed:{failure}",
            "on_failure",
            {"failure": details},
            run.workflow_id,
            run.run_id,
        )
        sent = await self.notifier.send(notice, on_failure.actions)
        return [f"on_failure: {one.said()}" for one in sent]

    async def _start(
        self, run: Run, workflow_id: str, details: dict[str, Any], failure: int
    ) -> str:
        """Start the error workflow; the note saying so, or why it was not. Raises the
        retryable ConnectorError of a limit that says later."""
        launch = Launch(
            tenant_id=run.tenant_id,
            workflow_id=workflow_id,
            user={},
            data={"failure": details},
            key=f"on_failure:{run.run_id}:{failure}",
            parent={"run_id": run.run_id, "step": ON_FAILURE_STEP, "branch": None},
            depth=run.depth + 1,
            event=FAILED_EVENT,
        )
        try:
            started = await self.launcher.launch(launch)
        except ConnectorError as exc:
            if exc.retryable:
                raise
            log.warning("on_failure of run %s: %s", run.run_id, exc.message)
            return f"on_failure: error workflow {workflow_id} not started: {exc.message}"
        return f"on_failure: started run {started.run_id} of workflow {workflow_id}"

    async def details(self, run: Run, document: WorkflowDocument, failure: int) -> dict[str, Any]:
        """The failure as handlers see it (``{{failure.*}}``)."""
        error = run.error or {}
        types = {str(action.id): action.type for action in document.all_actions()}
        failed = [turn for turn in run.history if turn["to"] == "failed"]
        reason = failed[-1]["reason"] if failed else ""
        return {
            "run_id": run.run_id,
            "number": failure,
            "failed_at": failed[-1]["at"] if failed else None,
            "workflow": {"id": run.workflow_id, "name": document.name, "version": run.version},
            "step": _step(error, types),
            "error": {
                "code": error.get("code") or CODES.get(reason, "step_failed"),
                "message": error.get("message", reason),
                "compensation": _compensation(error, types),
            },
            "event": await self._event(run),
            "links": runs_links(self.base_url, run.workflow_id, run.run_id),
        }

    async def _event(self, run: Run) -> dict[str, Any]:
        """The event that started the run, as a step reads one; from the run's context
        when retention purged it."""
        try:
            return (await self.store.get_event(run.tenant_id, run.event_id)).view()
        except NotFound:
            data = {k: v for k, v in run.context.items() if k not in ("user", "event", "profile")}
            return {**run.context.get("event", {}), "user": run.context.get("user"), "data": data}

    async def _note(self, run: Run, notes: list[str]) -> None:
        """Say in the failed run's history what on_failure did (revision-guarded)."""
        for _ in range(RUN_WRITE_ATTEMPTS):
            now = self.clock.now()
            for note in notes:
                run.note(now, note)
            if await self.store.save_run(run):
                return
            run = await self.store.get_run(run.tenant_id, run.run_id)
        log.warning("run %s kept changing: on_failure did: %s", run.run_id, "; ".join(notes))


def _step(error: dict[str, Any], types: dict[str, str]) -> dict[str, Any] | None:
    """The step an error was met at, as handlers see it: its id and type; None for an error
    at no step (the run's timeout, an engine error before any call)."""
    step_id = error.get("step_id")
    return None if step_id is None else {"id": step_id, "type": types.get(step_id)}


def _compensation(error: dict[str, Any], types: dict[str, str]) -> dict[str, Any] | None:
    """Why the compensation failed too, if it did (``run.error`` keeps that under
    ``compensation``, beside the failure it handled): its step and message."""
    compensation = error.get("compensation")
    if compensation is None:
        return None
    return {"step": _step(compensation, types), "message": compensation.get("message", "")}
