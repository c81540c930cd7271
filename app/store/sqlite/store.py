"""The embedded store's async face: every call, a whole transaction included, runs in one
hop on the store's own thread.

(With aiosqlite each statement is a hop of its own, so a transaction held SQLite's write lock
across event-loop turns; under load, an API and a worker process starved each other into
"database is locked". The benchmark showed it.)

Calls made while the thread is busy wait for it together and go in the next hop, and the
hot writes among them (events accepted, runs saved) commit in one transaction: a group
commit, one disk sync and one hop for many requests instead of one each. Their events are
accepted in one pass (one read and one write of the users' profiles for all of them), their
runs saved in another (the saves' step records in one insert, one savepoint for all: a
worker's checkpoints of concurrent runs), and one event or save that fails goes again on its
own, so it fails alone. No caller hears of its write before the commit that keeps it.
"""

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from app.clock import Clock
from app.models.profile import MAX_BYTES
from app.models.run import Accepted, Run, StepRecord
from app.store.protocol import Intake
from app.store.sqlite.connection import Outcome
from app.store.sqlite.database import Database

P = ParamSpec("P")
# Loop turns a hop waits at most for more calls to join it; one when none come.
GATHER_TURNS = 8
T = TypeVar("T")


def on_thread(
    method: Callable[Concatenate[Database, P], T], *, grouped: bool = False
) -> Callable[Concatenate["SQLiteStore", P], Coroutine[Any, Any, T]]:
    """``Database``'s method as an async method of ``SQLiteStore``: the same parameters (names
    and keywords kept, so the Store protocol checks them), run on the store's thread;
    ``grouped``: in one transaction with the other grouped calls waiting for the same hop."""

    async def hop(store: "SQLiteStore", /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await store._run(partial(method, store._database, *args, **kwargs), grouped)

    hop.__name__ = method.__name__
    hop.__qualname__ = f"SQLiteStore.{method.__name__}"
    hop.__doc__ = method.__doc__
    return hop


@dataclass(frozen=True)
class Share:
    """A grouped call's part of a pass: ``each`` (a ``Database`` method) takes the item of
    every call of its kind waiting for the hop at once and gives each call its outcome."""

    each: Callable[[Sequence[Any]], list[Outcome]]
    item: Any


@dataclass
class Call:
    """A call waiting for the store's thread, and its caller's future; ``share``: its part
    of a pass with the others of its kind in the hop (events accepted, runs saved)."""

    call: Callable[[], Any]
    future: "asyncio.Future[Any]"
    grouped: bool
    share: Share | None = None

    def settle(self, outcome: Outcome) -> None:
        if self.future.done():  # its caller was cancelled meanwhile
            return
        if outcome.error is not None:
            self.future.set_exception(outcome.error)
        else:
            self.future.set_result(outcome.result)


class SQLiteStore:
    """The async face of ``Database``: each call is one hop to the store's single thread."""

    def __init__(self, database: Database, thread: ThreadPoolExecutor) -> None:
        self._database = database
        self._thread = thread
        self._waiting: list[Call] = []
        self._draining: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        clock: Clock,
        profile_max_bytes: int = MAX_BYTES,
        keys: Sequence[str] = (),
    ) -> "SQLiteStore":
        """The store in ``path``, encrypted with SQLCipher when there are ``keys``."""
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="automator-sqlite")
        database = await asyncio.get_running_loop().run_in_executor(
            thread, Database, path, clock, profile_max_bytes, keys
        )
        return cls(database, thread)

    async def _run(
        self, call: Callable[[], T], grouped: bool = False, share: Share | None = None
    ) -> T:
        """``call()`` on the store's thread, in the next hop."""
        loop = asyncio.get_running_loop()
        if self._draining is not None and self._draining.get_loop() is not loop:
            # Another event loop's calls are being drained (one store driven from several
            # loops, as test clients do): this one goes on its own.
            return await loop.run_in_executor(self._thread, call)
        waiting = Call(call, loop.create_future(), grouped, share)
        self._waiting.append(waiting)
        if self._draining is None:
            self._draining = loop.create_task(self._drain())
        result: T = await waiting.future
        return result

    async def _drain(self) -> None:
        """Hops to the thread while calls wait, each taking all of them."""
        taken: list[Call] = []
        try:
            while self._waiting:
                await self._gather()
                taken = [call for call in self._waiting if not call.future.cancelled()]
                self._waiting = []
                await self._hop(taken)
        except BaseException as exc:  # the store closed under them, or the loop is ending
            error = exc if isinstance(exc, Exception) else RuntimeError("the store's loop ended")
            for call in [*taken, *self._waiting]:
                call.settle(Outcome(error=error))
            self._waiting = []
            if error is not exc:
                raise
        finally:
            self._draining = None

    async def _gather(self) -> None:
        """Let the event loop turn while each turn brings more calls (at most GATHER_TURNS):
        requests whose bodies came in together reach the store a turn or two apart, and
        each hop costs a commit and two thread hand-overs whatever it carries."""
        size = -1
        for _ in range(GATHER_TURNS):
            if len(self._waiting) == size:
                return
            size = len(self._waiting)
            await asyncio.sleep(0)

    async def _hop(self, taken: list[Call]) -> None:
        alone = [call for call in taken if not call.grouped]
        grouped = [call for call in taken if call.grouped and call.share is None]
        passes: dict[Callable[[Sequence[Any]], list[Outcome]], list[tuple[Call, Any]]] = {}
        for call in taken:
            if call.share is not None:
                passes.setdefault(call.share.each, []).append((call, call.share.item))
        writes = [call.call for call in grouped]
        # Each pass is one of the group's writes, after the others.
        writes += [partial(each, [item for _, item in shared]) for each, shared in passes.items()]
        singles, together = await asyncio.get_running_loop().run_in_executor(
            self._thread, self._database.hop, [call.call for call in alone], writes
        )
        for call, outcome in zip([*alone, *grouped], [*singles, *together], strict=False):
            call.settle(outcome)
        for shared, done in zip(passes.values(), together[len(grouped) :], strict=True):
            outcomes = [done] * len(shared) if done.error is not None else done.result
            for (call, _), outcome in zip(shared, outcomes, strict=True):
                call.settle(outcome)

    async def close(self) -> None:
        await self._run(self._database.close)
        self._thread.shutdown()

    async def accept_event(self, intake: Intake) -> Accepted:
        (accepted,) = await self.accept_events([intake])
        return accepted

    async def accept_events(self, intakes: Sequence[Intake]) -> list[Accepted]:
        call = partial(self._database.accept_events, intakes)
        share = Share(self._database.accept_each, intakes)
        accepted: list[Accepted] = await self._run(call, grouped=True, share=share)
        return accepted

    async def save_run(self, run: Run, steps: Sequence[StepRecord] = ()) -> bool:
        call = partial(self._database.save_run, run, steps)
        share = Share(self._database.save_each, (run, steps))
        saved: bool = await self._run(call, grouped=True, share=share)
        return saved

    ping = on_thread(Database.ping)

    # Accounts
    ensure_tenant = on_thread(Database.ensure_tenant)
    get_tenant = on_thread(Database.get_tenant)
    get_limits = on_thread(Database.get_limits)
    set_limits = on_thread(Database.set_limits)
    get_settings = on_thread(Database.get_settings)
    set_settings = on_thread(Database.set_settings)
    add_api_key = on_thread(Database.add_api_key)
    api_key_by_hash = on_thread(Database.api_key_by_hash)
    list_api_keys = on_thread(Database.list_api_keys)
    record_key_use = on_thread(Database.record_key_use)
    revoke_api_key = on_thread(Database.revoke_api_key)
    add_audit = on_thread(Database.add_audit)
    list_audit = on_thread(Database.list_audit)
    list_tenants = on_thread(Database.list_tenants)

    # Workflows
    create_workflow = on_thread(Database.create_workflow)
    add_version = on_thread(Database.add_version)
    get_workflow = on_thread(Database.get_workflow)
    list_workflows = on_thread(Database.list_workflows)
    list_versions = on_thread(Database.list_versions)
    count_workflows = on_thread(Database.count_workflows)
    get_version = on_thread(Database.get_version)
    publish = on_thread(Database.publish)
    request_publish = on_thread(Database.request_publish)
    decide_publish = on_thread(Database.decide_publish)
    set_enabled = on_thread(Database.set_enabled)
    archive = on_thread(Database.archive)
    active_versions = on_thread(Database.active_versions)
    scheduled_versions = on_thread(Database.scheduled_versions)
    workflows_revision = on_thread(Database.workflows_revision)

    # Intake (and accept_event, accept_events above)
    find_event = on_thread(Database.find_event)
    get_event = on_thread(Database.get_event)
    list_events = on_thread(Database.list_events)
    count_events = on_thread(Database.count_events)
    event_types = on_thread(Database.event_types)
    purge_claims = on_thread(Database.purge_claims)

    # Runs (and save_run above)
    get_run = on_thread(Database.get_run)
    add_runs = on_thread(Database.add_runs, grouped=True)
    list_runs = on_thread(Database.list_runs)
    count_runs = on_thread(Database.count_runs)
    list_steps = on_thread(Database.list_steps)
    workflow_steps = on_thread(Database.workflow_steps)
    run_counts = on_thread(Database.run_counts)
    run_tallies = on_thread(Database.run_tallies)
    variant_tallies = on_thread(Database.variant_tallies)
    live_run_counts = on_thread(Database.live_run_counts)
    due_runs = on_thread(Database.due_runs)
    armed_runs = on_thread(Database.armed_runs)
    failed_runs = on_thread(Database.failed_runs)

    # Bulk run commands
    add_bulk_job = on_thread(Database.add_bulk_job)
    get_bulk_job = on_thread(Database.get_bulk_job)
    save_bulk_job = on_thread(Database.save_bulk_job)
    stalled_bulk_jobs = on_thread(Database.stalled_bulk_jobs)

    # Retention
    get_retention = on_thread(Database.get_retention)
    set_retention = on_thread(Database.set_retention)
    retentions = on_thread(Database.retentions)
    purge_batch = on_thread(Database.purge_batch)

    # Alerts
    get_alert_rules = on_thread(Database.get_alert_rules)
    set_alert_rules = on_thread(Database.set_alert_rules)
    delete_alert_rules = on_thread(Database.delete_alert_rules)
    alert_rules = on_thread(Database.alert_rules)
    claim_notice = on_thread(Database.claim_notice)
    purge_notices = on_thread(Database.purge_notices)

    # Hooks
    add_hook = on_thread(Database.add_hook)
    get_hook = on_thread(Database.get_hook)
    hook_by_id = on_thread(Database.hook_by_id)
    list_hooks = on_thread(Database.list_hooks)
    delete_hook = on_thread(Database.delete_hook)

    # Integrations
    put_secret = on_thread(Database.put_secret)
    rotate_secret = on_thread(Database.rotate_secret)
    get_secrets = on_thread(Database.get_secrets)
    list_secrets = on_thread(Database.list_secrets)
    delete_secret = on_thread(Database.delete_secret)
    all_secrets = on_thread(Database.all_secrets)
    replace_ciphertext = on_thread(Database.replace_ciphertext)
    put_integration = on_thread(Database.put_integration)
    get_integration = on_thread(Database.get_integration)
    list_integrations = on_thread(Database.list_integrations)
    delete_integration = on_thread(Database.delete_integration)

    # Audience
    get_profile = on_thread(Database.get_profile)
    list_profiles = on_thread(Database.list_profiles)
    update_profile = on_thread(Database.update_profile)
    save_segment = on_thread(Database.save_segment)
    get_segment = on_thread(Database.get_segment)
    list_segments = on_thread(Database.list_segments)
    add_to_campaign = on_thread(Database.add_to_campaign)
    get_campaign = on_thread(Database.get_campaign)
    list_campaigns = on_thread(Database.list_campaigns)
    campaign_members = on_thread(Database.campaign_members)
    erase_user = on_thread(Database.erase_user)

    # Templates
    create_template = on_thread(Database.create_template)
    update_template = on_thread(Database.update_template)
    get_template = on_thread(Database.get_template)
    list_templates = on_thread(Database.list_templates)
    delete_template = on_thread(Database.delete_template)

    # Outbox
    add_outbox_message = on_thread(Database.add_outbox_message)
    get_outbox_message = on_thread(Database.get_outbox_message)
    list_outbox = on_thread(Database.list_outbox)
    # Usage
    add_ai_usage = on_thread(Database.add_ai_usage)
    ai_usage = on_thread(Database.ai_usage)
    run_ai_usage = on_thread(Database.run_ai_usage)
