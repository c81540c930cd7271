"""The checks a message step passes just before it is sent: its workflow's quiet hours and
send window, in the recipient's time zone, then the frequency caps (the workflow's and the
tenant's), counted per user across every workflow of the tenant.

Windows come first, so a step waiting for the morning is counted when it is sent. A step
over a cap is skipped, not failed, and says why in its output. The count is kept by the
step's idempotency key, so a retried step is not counted twice.
"""

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.flow.limiters import Cap, Limiters, rendered_key
from app.engine.flow.tenant_limits import TenantLimitsCache
from app.engine.flow.windows import NeverOpens, next_open, opening, zone_for
from app.engine.walk.context import idempotency_key
from app.engine.walk.effects import Hold
from app.engine.walk.program import NO_SEND_RULES, Instruction, Program, SendRules
from app.errors import shown
from app.models.flow import (
    MAX_CAP_PERIOD_SECONDS,
    FrequencyCap,
    QuietHours,
    SendWindow,
    period_seconds,
)
from app.models.run import Run
from app.models.workflow_settings import WorkflowSettings

log = logging.getLogger(__name__)
USER_KEY = "{{ user.id }}"
# A step held until sends may go out waits for this (its run's wait reason and timer).
QUIET_HOURS, SEND_WINDOW = "quiet hours", "send window"


@dataclass
class SendGuard:
    """Send windows always; frequency caps when given Redis and the tenants' limits (a dry
    run has neither, and counts nothing)."""

    renderer: Renderer
    limits: TenantLimitsCache | None = None
    limiters: Limiters | None = None

    async def check(
        self, run: Run, program: Program, instruction: Instruction, now: datetime
    ) -> Hold | None:
        action_type = instruction.action.type
        rules = program.send_rules.get(action_type, NO_SEND_RULES)
        if rules.quiet_hours is not None or rules.send_window is not None:
            try:
                waiting = _outside_windows(run, rules, now)
            except NeverOpens:
                return Hold(
                    "quiet_hours and send_window leave no time to send within 8 days", fail=True
                )
            if waiting is not None:
                return waiting
        if self.limiters is None:
            return None
        caps = await self._caps(run, program.document.settings, rules, action_type)
        if not caps:
            return None
        return await self._counted(run, instruction, caps, now)

    async def _caps(
        self, run: Run, settings: WorkflowSettings, rules: SendRules, action_type: str
    ) -> list[tuple[FrequencyCap, str]]:
        """The caps counting this step: the version's, then the tenant's as it is now."""
        found = [] if rules.frequency_cap is None else [(rules.frequency_cap, "workflow")]
        if self.limits is not None and not settings.frequency_cap_exempt:
            cap = (await self.limits.get(run.tenant_id)).frequency_cap
            if cap is not None and action_type in cap.actions:
                found.append((cap, "tenant"))
        return found

    async def _counted(
        self,
        run: Run,
        instruction: Instruction,
        caps: list[tuple[FrequencyCap, str]],
        now: datetime,
    ) -> Hold | None:
        assert self.limiters is not None
        member = idempotency_key(run, instruction)
        counted: list[str] = []
        for cap, scope in caps:
            result = await self._count(run, cap, scope, member, now)
            if isinstance(result, Hold):
                for key in counted:  # give back what this message took under other caps
                    await self.limiters.forget(key, member)
                return result
            if result is not None:
                counted.append(result)
        return None

    async def _count(
        self, run: Run, cap: FrequencyCap, scope: str, member: str, now: datetime
    ) -> Hold | str | None:
        """Count the message under one cap: the log's key when counted, a Hold when the cap
        is reached, None when the cap does not apply (no user to count for)."""
        assert self.limiters is not None
        template = cap.key or USER_KEY
        try:
            who = rendered_key(self.renderer, template, run.context, f"{scope} frequency_cap")
        except TemplateError:
            log.info(
                "run %s: no %r for the %s frequency cap; not capped", run.run_id, template, scope
            )
            return None
        key = self.limiters.key(run.tenant_id, "tenant", "messages", who)
        period = period_seconds(cap.period)
        label = f"{cap.limit} per {period:g} s for {shown(who)} ({scope} frequency_cap)"
        refused = await self.limiters.count_message(
            key, member, [Cap(cap.limit, period, label)], now, MAX_CAP_PERIOD_SECONDS
        )
        if refused is None:
            return key
        found, wait = refused
        return Hold(f"frequency cap of {found.label} reached; room again in {math.ceil(wait)} s")


def _outside_windows(run: Run, rules: SendRules, now: datetime) -> Hold | None:
    named: list[tuple[str, QuietHours | SendWindow | None]] = [
        (QUIET_HOURS, rules.quiet_hours),
        (SEND_WINDOW, rules.send_window),
    ]
    held = [(name, rule) for name, rule in named if rule is not None]
    windows = [(rule.window(), zone_for(run.context, rule.timezone)) for _, rule in held]
    at = opening(now, windows)
    if at <= now:
        return None
    closed = [
        name for (name, _), (w, z) in zip(held, windows, strict=True) if next_open(now, w, z) > now
    ]
    return Hold(closed[0], until=at)
