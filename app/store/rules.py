"""The decisions both adapters share, so SQLite and MongoDB answer alike: what a new or
published workflow head holds, how an event is keyed, admitted and recorded, what it does to
the runs waiting for or listening to it, and a run as plain data."""

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson

from app.models.bulk import BulkAction, BulkJob, BulkState
from app.models.document import WorkflowDocument
from app.models.hook import Hook, HookScheme
from app.models.profile import Profile, Touch
from app.models.run import Accepted, ArmedRun, Claim, EventRecord, Run, RunFilter, RunStatus
from app.models.stats import Period, RunTally
from app.models.workflow import WorkflowHead, WorkflowVersion
from app.store.protocol import Intake

LIVE = (RunStatus.PENDING, RunStatus.RUNNING, RunStatus.WAITING)
UNFINISHED = (*LIVE, RunStatus.PAUSED)
# Live runs whose due time is a timer (a start, a delay, a retry, a wait's deadline). A
# running run's due time is its lease's end, which the reconciler finds without a timer.
TIMED = (RunStatus.PENDING, RunStatus.WAITING)
FINISHED_VALUES = (RunStatus.COMPLETED.value, RunStatus.FAILED.value, RunStatus.CANCELLED.value)
# What a walk changes of a run: a walk carries it onto a run that a control call changed
# meanwhile, leaving the call's status, due time and history.
PROGRESS = (
    "pc",
    "attempt",
    "earlier_attempts",
    "delay_served",
    "vars",
    "outputs",
    "active_seconds",
    "error",
    "wait",
    "variants",
    "loops",
    "join",
    "forks",
    "call_started",
)
# What others write of a run while it is parked, besides its status and due time: an answer
# or a decision (its ``wait``), variables set through the API. A walk that read or saved the
# run parked merges these with its own changes rather than carry its copy over them.
SHARED = ("wait", "vars")
# What a checkpoint may change of a stored run, with the keys an adapter finds it by (the rest
# is fixed when the run starts; the goal event alone writes ``converted``).
MUTABLE_RUN_FIELDS = (
    *PROGRESS,
    "status",
    "due_at",
    "updated_at",
    "history",
    "wait_key",
    "listen_keys",
)
# How many times a store retries a change to a run that keeps changing under it.
RUN_WRITE_ATTEMPTS = 5


def new_head(tenant_id: str, document: WorkflowDocument, at: datetime) -> WorkflowHead:
    return WorkflowHead(
        tenant_id=tenant_id,
        workflow_id=document.workflow_id,
        name=document.name,
        trigger_type=document.trigger.type,
        latest_version=0,
        active_version=None,
        enabled=False,
        archived=False,
        created_at=at,
        updated_at=at,
        tags=list(document.tags),
    )


def published(head: WorkflowHead, version: WorkflowVersion, at: datetime) -> WorkflowHead:
    """The head once ``version`` is active: it takes the document's name, trigger and state."""
    document = WorkflowDocument.model_validate(version.document)
    return replace(
        head,
        name=document.name,
        trigger_type=document.trigger.type,
        scheduled=document.scheduled(),
        active_version=version.version,
        enabled=document.settings.enabled,
        archived=False,
        updated_at=at,
    )


def approved(head: WorkflowHead, version: WorkflowVersion, at: datetime) -> WorkflowHead:
    """The head once another key approves ``version``: published, except that a workflow
    that was live keeps its enabled flag, and any keeps its archived state, as they are
    now: a request approved late must not undo a "disable now" or an archive made while it
    waited. A first publication takes the document's enabled flag."""
    after = published(head, version, at)
    if head.active_version is None and not head.archived:
        return after
    return replace(after, enabled=head.enabled, archived=head.archived)


def pending(
    head: WorkflowHead, version: int, requested_by: str | None, at: datetime
) -> WorkflowHead:
    """The head once ``version`` waits for a second key's approval (replacing any other)."""
    return replace(
        head, pending_version=version, pending_by=requested_by, pending_at=at, updated_at=at
    )


def same_request(head: WorkflowHead, seen: WorkflowHead) -> bool:
    """Whether ``head`` still waits for the publication ``seen`` held: the same version
    asked for by the same key (asking again changes nothing a decision is about)."""
    return (head.pending_version, head.pending_by) == (seen.pending_version, seen.pending_by)


def decided(head: WorkflowHead, at: datetime) -> WorkflowHead:
    """The head once its pending publication is decided (published or not)."""
    return replace(head, pending_version=None, pending_by=None, pending_at=None, updated_at=at)


def shape_rows(tenant_id: str, document: WorkflowDocument) -> list[tuple[str, str, str]]:
    """(tenant, event type, match paths as JSON) of each event shape the document uses."""
    return [
        (tenant_id, event, orjson.dumps(list(paths)).decode())
        for event, paths in sorted(document.event_shapes())
    ]


def event_keys(intake: Intake, shapes: Sequence[Sequence[str]]) -> set[str]:
    """The event's correlation keys, one per shape it has every field of."""
    if intake.correlate is None:
        return set()
    keys = {intake.correlate(paths) for paths in shapes}
    return {key for key in keys if key is not None}


def claim_is_live(expires_at: datetime, at: datetime) -> bool:
    return expires_at > at


def held_by(claim: Claim, owner: str) -> str:
    return f"idempotency key {claim.key!r} already started {owner}"


def cap_reached(cap: int) -> str:
    return f"max_executions ({cap}) reached"


def recorded(intake: Intake, runs: list[Run], skipped: dict[str, str]) -> Accepted:
    if intake.skipped:  # else no copy: most events skip nothing
        skipped = intake.skipped | skipped
    event = intake.event
    if runs or skipped or event.run_ids or event.workflow_ids or event.skipped:
        event = replace(
            event,
            run_ids=[run.run_id for run in runs],
            workflow_ids=[run.workflow_id for run in runs],
            skipped=skipped,
        )
    # else it started and skipped nothing, as it already says: no copy (a tenth of a
    # batched event's time in the store)
    return Accepted(event, duplicate=False, runs=runs, skipped=skipped)


def reacted(accepted: Accepted, woken: list[Run], ended: list[Run]) -> Accepted:
    """The accepted event with the runs it woke and ended, as the event log shows them."""
    if not (woken or ended or accepted.event.answered or accepted.event.ended):
        return accepted  # most events: nothing to note, and no copy made
    event = replace(
        accepted.event,
        answered=[run.run_id for run in woken],
        ended=[run.run_id for run in ended],
    )
    return replace(accepted, event=event, woken=woken, ended=ended)


def duplicate(event: EventRecord) -> Accepted:
    return Accepted(event, duplicate=True, runs=[])


def seen_touch(event: EventRecord) -> Touch | None:
    """What an event does to its user's profile: its ``user`` merged in, and the user seen
    when the event happened (never later than it arrived)."""
    user_id = event.user_id
    if user_id is None:
        return None
    seen_at = min(event.timestamp, event.received_at)
    return Touch(user_id, event.user, event.received_at, seen_at)


def with_profile(runs: list[Run], profile: Profile, at: datetime) -> None:
    """Give each run the profile as it stands now, under ``profile`` in its context."""
    if not runs:
        return
    view = profile.view(at)
    for run in runs:
        run.context = {**run.context, "profile": view}


def answer_wait(run: Run, event: EventRecord, keys: Collection[str]) -> bool:
    """Give ``event`` to the run's wait if it is the awaited one and came before the deadline;
    the run falls due so a worker (or the reconciler) walks it on."""
    key = run.wait_key
    if run.wait is None or key is None or key not in keys:
        return False
    if event.received_at > datetime.fromisoformat(run.wait["deadline"]):
        return False
    run.wait = {**run.wait, "resolved": event.view()}
    run.due_at = run.updated_at = event.received_at
    return True


def heard(run: Run, event: EventRecord, keys: Collection[str]) -> set[str]:
    """What the run's listeners make of the event: ``cancel``, ``goal``, ``goal_exit``. The
    runs the event itself starts hear nothing of it (a ``cart_updated`` exit then starts
    over instead of cancelling its own run)."""
    if run.event_id == event.event_id or run.finished:
        return set()
    return {str(one["on"]) for one in run.listeners if one["key"] in keys}


def conversion(run: Run, heard: Collection[str], event: EventRecord) -> dict[str, Any] | None:
    """What to record as the run's conversion, if the event reached its goal first."""
    if run.converted is not None or not {"goal", "goal_exit"} & set(heard):
        return None
    run.converted = {
        "event": event.type,
        "event_id": event.event_id,
        "at": event.received_at.isoformat(),
    }
    return run.converted


def exit_run(run: Run, heard: Collection[str], event: EventRecord) -> bool:
    """End the run if it heard an exit event, or a goal that exits."""
    if "cancel" in heard:
        status, reason = RunStatus.CANCELLED, f"exit event {event.type} ({event.event_id})"
    elif "goal_exit" in heard:
        status, reason = RunStatus.COMPLETED, f"goal {event.type} reached ({event.event_id})"
    else:
        return False
    run.due_at = None
    run.updated_at = event.received_at
    run.move(status, event.received_at, reason)
    return True


def kept_days(period: Period) -> tuple[str, str]:
    """The UTC days (ISO dates, first and past the last) whose start falls in the period:
    counts kept for purged records are by UTC day, and a period counts a day's if it holds
    the day's start."""
    since, until = period.since.astimezone(UTC), period.until.astimezone(UTC)
    first = since.date().isoformat() if since.time() == time() else _day_after(since.date())
    end = until.date().isoformat() if until.time() == time() else _day_after(until.date())
    return first, end


def _day_after(day: date) -> str:
    # Past the last date there is, a text every ISO date sorts before.
    return "9999-99-99" if day == date.max else (day + timedelta(days=1)).isoformat()


def kept_tally(workflow_id: str, status: RunStatus, count: int, seconds: float) -> RunTally:
    """A tally of runs counted as they were purged: by their last status, their history
    gone, so the failed ones alone are known to have failed."""
    failed = count if status == RunStatus.FAILED else 0
    return RunTally(workflow_id, status, count, seconds, failed)


def with_kept(live: list[RunTally], kept: list[RunTally]) -> list[RunTally]:
    """Tallies of the runs still kept plus those counted as they were purged."""
    merged = {(t.workflow_id, t.status): t for t in live}
    for tally in kept:
        key = (tally.workflow_id, tally.status)
        was = merged.get(key)
        merged[key] = (
            tally
            if was is None
            else RunTally(
                tally.workflow_id,
                tally.status,
                was.count + tally.count,
                was.active_seconds + tally.active_seconds,
                was.failed_once + tally.failed_once,
            )
        )
    return list(merged.values())


def erased_event(event: EventRecord) -> EventRecord:
    """The event with its person's data gone: its type, times and runs are kept (the event
    log and the stats still count it), its user, data and idempotency key are not."""
    return replace(event, user={}, data={}, idempotency_key=None)


def erase_run(run: Run) -> None:
    """The run with its person's data gone: its workflow, status, times and history are kept;
    its context, variables, outputs, waits, listeners, loops, error detail and user are not."""
    run.user_id = None
    run.context, run.vars, run.outputs, run.loops = {}, {}, {}, {}
    run.wait, run.listeners = None, []
    if run.error is not None:
        run.error = {"message": "erased with the person's data"}


def hook_doc(hook: Hook) -> dict[str, Any]:
    """A hook as JSON data (times as ISO text), stored alike by both adapters."""
    doc: dict[str, Any] = orjson.loads(orjson.dumps(hook))
    return doc


def hook_record(doc: dict[str, Any]) -> Hook:
    fields = {name: value for name, value in doc.items() if name in Hook.__dataclass_fields__}
    return Hook(
        **fields
        | {
            "scheme": HookScheme(doc["scheme"]),
            "created_at": datetime.fromisoformat(doc["created_at"]),
        }
    )


def bulk_doc(job: BulkJob) -> dict[str, Any]:
    """A bulk job as JSON data (times as ISO text), stored alike by both adapters."""
    doc: dict[str, Any] = orjson.loads(orjson.dumps(job))
    return doc


def bulk_job(doc: dict[str, Any]) -> BulkJob:
    """A bulk job read back from ``bulk_doc``'s form."""
    where = doc["filter"]
    status = where["status"]
    run_filter = RunFilter(
        where["workflow_id"],
        None if status is None else RunStatus(status),
        where["user_id"],
        _time(where["since"]),
        _time(where["until"]),
    )
    fields = {name: value for name, value in doc.items() if name in BulkJob.__dataclass_fields__}
    return BulkJob(
        **fields
        | {
            "action": BulkAction(doc["action"]),
            "status": BulkState(doc["status"]),
            "filter": run_filter,
            "created_at": datetime.fromisoformat(doc["created_at"]),
            "updated_at": datetime.fromisoformat(doc["updated_at"]),
            "finished_at": _time(doc["finished_at"]),
        }
    )


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def run_doc(run: Run) -> dict[str, Any]:
    """A run as plain data (datetimes kept), for adapters to store."""
    return {
        name: getattr(run, name) for name in run.__dataclass_fields__ if name not in ("status",)
    } | {"status": run.status.value, "wait_key": run.wait_key, "listen_keys": run.listen_keys}


def armed_run(tenant_id: str, run_id: str, due_at: datetime, read: Callable[[], Run]) -> ArmedRun:
    """A run's timer to arm again, with the run ``read`` gives, or None if its record does
    not read: one bad record must not stop the page of timers it is in."""
    try:
        run = read()
    except Exception:  # whatever the record's fault: its resume reports it
        run = None
    return ArmedRun(tenant_id, run_id, due_at, run)
