"""Flow control as an event's runs are admitted, before the one durable write.

For each run, in order: its debounce (the burst's newer run replaces the older one), the
rate limits (workflow, then tenant: a run over one is dropped), the tenant's quota and AI
budget (also dropped), the throttles (a run over one starts later). Every reservation is a member or a
count in Redis that can be given back: when a later check refuses the run, when the store
does not record it (a duplicate event, a business key already held), or when a debounced
run is replaced. Concurrency keys are only checked here (a run takes its slot when it
starts).

A run that must wait (debounce, throttle) is recorded ``waiting`` with its due time and
the reason; the reply still comes at once.
"""

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from app.clock import Clock
from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.flow.limiters import Limiters, instant, ms, rendered_key
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.redis_keys import quota_key
from app.errors import ErrorDetail, LimitExceeded, NotFound, shown
from app.models.document import WorkflowDocument
from app.models.flow import AiBudget, Quota, RateLimit, TenantLimits, Throttle, period_seconds
from app.models.run import Accepted, Run, RunStatus
from app.models.workflow_settings import WorkflowSettings
from app.store.protocol import Intake, Store
from app.triggers import ai_budget
from app.triggers.ai_budget import AiCosts

log = logging.getLogger(__name__)
DEBOUNCE = "debounce"
SUPERSEDE_ATTEMPTS = 3
# A start this far after the event is a wait; less is noise from clock arithmetic.
LATER = timedelta(milliseconds=1)
Undo = Callable[[], Awaitable[Any]]
T = TypeVar("T")


class Refused(Exception):
    """A limit dropped the run: ``reason`` for the record, ``field`` names the setting."""

    def __init__(self, reason: str, field: tuple[str, ...], retry_after: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.retry_after = retry_after


@dataclass
class Ticket:
    """One run on its way in: what it reserved and when it may start."""

    run: Run
    settings: WorkflowSettings
    start: datetime
    waits: list[str] = field(default_factory=list)
    undo: list[Undo] = field(default_factory=list)
    # The burst's older run this one replaces, and how to give back what that run held.
    replaces: str | None = None
    on_replaced: list[Callable[[str], Awaitable[Any]]] = field(default_factory=list)

    def wait_until(self, at: datetime, reason: str) -> None:
        if at > self.start:
            self.start = at
        if at - self.run.created_at >= LATER:
            self.waits.append(reason)

    async def give_back(self) -> None:
        for undo in reversed(self.undo):
            await undo()


@dataclass
class Plan:
    intake: Intake
    tickets: list[Ticket]
    skipped: dict[str, str]

    def priorities(self) -> dict[str, float]:
        """Run id → seconds of head start, for runs that have one."""
        return {t.run.run_id: t.settings.priority for t in self.tickets if t.settings.priority}


@dataclass
class Admission:
    limiters: Limiters
    limits: TenantLimitsCache
    renderer: Renderer
    store: Store
    clock: Clock
    delay_scale: float = 1.0
    # Prices AI runs against the tenant's ai_budget; None: budgets are not checked.
    ai: AiCosts | None = None

    async def admit(
        self, intake: Intake, documents: dict[str, WorkflowDocument], *, strict: bool
    ) -> Plan:
        """Decide each run's fate; keys are rendered over each run's context. ``strict`` (an
        API call asking for this run) turns a refusal into LimitExceeded (429) instead of a
        skipped match."""
        tenant = await self.limits.get(intake.event.tenant_id)
        tickets, skipped = [], {}
        for run in intake.runs:
            try:
                tickets.append(await self._ticket(run, documents[run.workflow_id], tenant))
            except TemplateError as exc:
                skipped[run.workflow_id] = f"flow control key not rendered: {exc.message}"
            except Refused as refused:
                if strict:
                    detail = ErrorDetail(refused.field, refused.reason)
                    raise LimitExceeded(
                        f"Not started: {refused.reason}.", [detail], refused.retry_after
                    ) from None
                skipped[run.workflow_id] = refused.reason
        if len(tickets) < len(intake.runs):  # else every run goes on: no copy
            intake = replace(intake, runs=[ticket.run for ticket in tickets])
        return Plan(intake, tickets, skipped)

    async def settle(self, plan: Plan, accepted: Accepted) -> None:
        """After the write: give back what unrecorded runs reserved, and retire the older
        runs of debounced bursts."""
        recorded = {run.run_id for run in accepted.runs}
        for ticket in plan.tickets:
            if ticket.run.run_id not in recorded:
                await ticket.give_back()
            elif ticket.replaces is not None and await self._supersede(ticket):
                for give_back in ticket.on_replaced:
                    await give_back(ticket.replaces)

    async def _ticket(self, run: Run, document: WorkflowDocument, tenant: TenantLimits) -> Ticket:
        settings, context = document.settings, run.context
        now = run.created_at
        ticket = Ticket(run, settings, now)
        self._check_concurrency_keys(run, settings, tenant, context)
        try:
            await self._debounce(ticket, context, now)
            for scope, rate in self._scoped(run, settings.rate_limit, tenant.rate_limit):
                await self._rate(ticket, scope, rate, context, now)
            if tenant.quota is not None:
                await self._quota(ticket, tenant.quota, now)
            if tenant.ai_budget is not None:
                await self._ai_budget(ticket, tenant.ai_budget, document, now)
            for scope, throttle in self._scoped(run, settings.throttle, tenant.throttle):
                await self._throttle(ticket, scope, throttle, context, now)
        except Exception:
            await ticket.give_back()
            raise
        _schedule(ticket, now)
        return ticket

    @staticmethod
    def _scoped(run: Run, workflow: T | None, tenant: T | None) -> list[tuple[str, T]]:
        pairs = ((f"workflow:{run.workflow_id}", workflow), ("tenant", tenant))
        return [(scope, limit) for scope, limit in pairs if limit is not None]

    def _key(self, template: str | None, context: dict[str, Any], scope: str, name: str) -> str:
        return rendered_key(self.renderer, template, context, f"{_label(scope)} {name}")

    def _check_concurrency_keys(
        self, run: Run, settings: WorkflowSettings, tenant: TenantLimits, context: dict[str, Any]
    ) -> None:
        for scope, limit in self._scoped(run, settings.concurrency, tenant.concurrency):
            self._key(limit.key, context, scope, "concurrency")

    async def _debounce(self, ticket: Ticket, context: dict[str, Any], now: datetime) -> None:
        debounce = ticket.settings.debounce
        if debounce is None:
            return
        run = ticket.run
        scope = f"workflow:{run.workflow_id}"
        rendered = self._key(debounce.key, context, scope, "debounce")
        key = self.limiters.key(run.tenant_id, scope, "debounce", rendered)
        period = period_seconds(debounce.period) * self.delay_scale
        longest = None
        if debounce.max_delay is not None:
            longest = period_seconds(debounce.max_delay) * self.delay_scale
        previous, due = await self.limiters.debounce(key, run.run_id, now, period, longest)
        ticket.undo.append(lambda: self.limiters.undo_debounce(key, run.run_id))
        ticket.replaces = previous
        ticket.wait_until(due, DEBOUNCE)

    async def _rate(
        self, ticket: Ticket, scope: str, rate: RateLimit, context: dict[str, Any], now: datetime
    ) -> None:
        run, key_value = ticket.run, self._key(rate.key, context, scope, "rate_limit")
        key = self.limiters.key(run.tenant_id, scope, "rate", key_value)
        period = period_seconds(rate.period)
        wait = await self.limiters.take_rate(
            key, run.run_id, rate.limit, period, now, ticket.replaces
        )
        if wait is not None:
            reason = (
                f"{_label(scope)} rate_limit of {rate.limit} runs per {period:g} s"
                f"{_for(rate.key, key_value)} reached; room again in {math.ceil(wait)} s"
            )
            raise Refused(reason, _field(scope, "rate_limit"), wait)
        ticket.undo.append(lambda: self.limiters.forget(key, run.run_id))
        ticket.on_replaced.append(lambda older: self.limiters.forget(key, older))

    async def _quota(self, ticket: Ticket, quota: Quota, now: datetime) -> None:
        if ticket.replaces is not None:
            return  # the burst's older run was counted; this one takes its place
        key, resets_at = quota_window(ticket.run.tenant_id, quota, now)
        resets_in = (resets_at - now).total_seconds()
        taken, _ = await self.limiters.take_quota(key, 1, quota.runs, resets_in + 60)
        if not taken:
            reason = (
                f"tenant quota of {quota.runs} runs per {period_seconds(quota.period):g} s "
                f"used up; resets in {math.ceil(resets_in)} s"
            )
            raise Refused(reason, ("tenant", "quota"), resets_in)
        ticket.undo.append(lambda: self.limiters.give_back_quota(key, 1))

    async def _ai_budget(
        self, ticket: Ticket, budget: AiBudget, document: WorkflowDocument, now: datetime
    ) -> None:
        per_run = self.ai.per_run(document) if self.ai is not None else 0.0
        if self.ai is None or per_run == 0:
            return
        check = await self.ai.check(ticket.run.tenant_id, budget, per_run, 1, now)
        if not check.fits:
            wait = (check.resets_at - now).total_seconds()
            raise Refused(ai_budget.refusal(check, now), ("tenant", "ai_budget"), wait)

    async def _throttle(
        self,
        ticket: Ticket,
        scope: str,
        throttle: Throttle,
        context: dict[str, Any],
        now: datetime,
    ) -> None:
        run, key_value = ticket.run, self._key(throttle.key, context, scope, "throttle")
        key = self.limiters.key(run.tenant_id, scope, "starts", key_value)
        period = period_seconds(throttle.period)
        start = await self.limiters.reserve_start(
            key, run.run_id, throttle.limit, period, ticket.start, now, ticket.replaces
        )
        ticket.undo.append(lambda: self.limiters.forget(key, run.run_id))
        ticket.on_replaced.append(lambda older: self.limiters.forget(key, older))
        reason = f"throttle: {_label(scope)} {throttle.limit} starts per {period:g} s"
        ticket.wait_until(start, reason + _for(throttle.key, key_value))

    async def _supersede(self, ticket: Ticket) -> bool:
        """Cancel the burst's older run if it still waits for its debounce; False when it
        has started (the burst split at that moment: both runs go on)."""
        assert ticket.replaces is not None
        tenant_id, newer = ticket.run.tenant_id, ticket.run.run_id
        for _ in range(SUPERSEDE_ATTEMPTS):
            try:
                older = await self.store.get_run(tenant_id, ticket.replaces)
            except NotFound:
                return False
            if not _debouncing(older):
                return False
            older.due_at = None
            now = self.clock.now()
            older.updated_at = now
            older.move(RunStatus.CANCELLED, now, f"debounced: run {newer} has a later event")
            if await self.store.save_run(older):
                return True
        return False


def quota_window(tenant_id: str, quota: Quota, now: datetime) -> tuple[str, datetime]:
    """The counter of the quota window holding ``now``, and when that window ends."""
    period_ms = int(period_seconds(quota.period) * 1000)
    window = ms(now) // period_ms
    return quota_key(tenant_id, period_ms, window), instant((window + 1) * period_ms)


def _debouncing(run: Run) -> bool:
    return (
        run.status == RunStatus.WAITING
        and run.pc == 0
        and bool(run.history)
        and str(run.history[-1].get("reason", "")).startswith(DEBOUNCE)
    )


def _schedule(ticket: Ticket, now: datetime) -> None:
    """A run due later is recorded waiting, with why."""
    run = ticket.run
    if ticket.start - now < LATER:
        return
    run.due_at = ticket.start
    run.move(RunStatus.WAITING, now, "; ".join(ticket.waits))


def _label(scope: str) -> str:
    return scope.split(":")[0]


def _for(template: str | None, value: str) -> str:
    return f" for key {shown(value)}" if template is not None else ""


def _field(scope: str, name: str) -> tuple[str, ...]:
    return ("tenant", name) if scope == "tenant" else ("settings", name)
