"""Failure alerts: the leading scheduler reads every tenant's alert rules now and then
(``AUTOMATOR_ALERT_CHECK_SECONDS``) and, for each rule and workflow whose share of failed
runs over the rule's window reaches its threshold, enqueues one ``send_alert`` job; a
worker sends it by email and/or webhook through the steps' gateway.

The rate is read over the last ``window_minutes`` before each check (a sliding window);
an alert goes at most once per window aligned to the epoch (``window_minutes`` each): the
job's id names the rule, the workflow and that aligned window, and each send is claimed in the store before
it is made (``Notifier``), so another check in the same window, a restarted or second
scheduler, or a job delivered twice sends nothing more. An alert is sent outside any run:
it starts none and counts toward no rule, so alerts cannot feed on themselves.
"""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from app.engine.calls.notices import Notice, Notifier, Sent, runs_links
from app.models.action import Action
from app.models.alert import AlertRule
from app.models.run import RunStatus
from app.models.stats import Period
from app.store.protocol import Store

log = logging.getLogger(__name__)
SUBJECT = (
    "Alert {{ alert.rule_id }}: {{ alert.workflow_id }} failed {{ alert.failed }} of "
    "{{ alert.runs }} runs"
)
TEXT = (
    "{{ alert.failed }} of the {{ alert.runs }} runs of {{ alert.workflow_id }} started from "
    "{{ alert.since }} to {{ alert.until }} and ended have failed "
    "({{ (alert.failure_rate * 100) | round(1) }} %, threshold "
    "{{ (alert.threshold * 100) | round(1) }} %).\n\n"
    "Failed runs: {{ alert.links.studio_runs }}\nAPI: {{ alert.links.api_runs }}\n"
)


def alert_actions(email: Sequence[str] | None, webhook_url: str | None) -> list[Action]:
    """The sends of an alert, as the connectors' own actions (what saving a rule checks):
    an email to every address, and the alert as the JSON body of a webhook call."""
    actions = []
    if email:
        data = {"recipients": list(email), "subject": SUBJECT, "text": TEXT}
        actions.append(Action(id="email", type="send_email", data=data))
    if webhook_url:
        data = {"url": webhook_url, "json": "{{ alert }}"}
        actions.append(Action(id="webhook", type="webhook_call", data=data))
    return actions


class AlertQueue(Protocol):
    async def send_alert(self, tenant_id: str, alert: dict[str, Any]) -> None:
        """Have a worker send ``alert``; one job per alert key."""


@dataclass
class AlertCheck:
    """The scheduler's part: which rules alert now."""

    store: Store
    queue: AlertQueue
    base_url: str
    every: float
    last: datetime | None = field(default=None)

    async def tick(self, now: datetime) -> list[dict[str, Any]]:
        """``check`` if ``every`` seconds have passed since the last one."""
        if self.last is not None and (now - self.last).total_seconds() < self.every:
            return []
        self.last = now
        return await self.check(now)

    async def check(self, now: datetime) -> list[dict[str, Any]]:
        """Enqueue an alert for each rule and workflow over its threshold now; returns
        them. One tenant's failure does not stop the others'."""
        due = []
        for tenant_id, rules in (await self.store.alert_rules()).items():
            for rule in rules.rules:
                try:
                    due += await self._rule(tenant_id, rule, now)
                except Exception:
                    log.exception("alert rule %s of tenant %s failed", rule.rule_id, tenant_id)
        return due

    async def _rule(self, tenant_id: str, rule: AlertRule, now: datetime) -> list[dict[str, Any]]:
        period = Period(now - timedelta(minutes=rule.window_minutes), now)
        ended, failed = Counter[str](), Counter[str]()
        for tally in await self.store.run_tallies(tenant_id, period, rule.workflow_id):
            if tally.status in (RunStatus.COMPLETED, RunStatus.FAILED):
                ended[tally.workflow_id] += tally.count
            if tally.status == RunStatus.FAILED:
                failed[tally.workflow_id] += tally.count
        due = []
        for workflow_id, runs in sorted(ended.items()):
            rate = failed[workflow_id] / runs
            if runs >= rule.min_runs and rate >= rule.threshold:
                alert = self._alert(rule, workflow_id, period, runs, failed[workflow_id])
                await self.queue.send_alert(tenant_id, alert)
                due.append(alert)
        return due

    def _alert(
        self, rule: AlertRule, workflow_id: str, period: Period, runs: int, failed: int
    ) -> dict[str, Any]:
        """What the alert says (``{{ alert.* }}``, the webhook's body) and where it goes."""
        window = rule.window_minutes * 60
        since = period.since.astimezone(UTC).isoformat()
        return {
            "key": f"{rule.rule_id}:{workflow_id}:{int(period.until.timestamp() // window)}",
            "rule_id": rule.rule_id,
            "workflow_id": workflow_id,
            "window_minutes": rule.window_minutes,
            "since": since,
            "until": period.until.astimezone(UTC).isoformat(),
            "runs": runs,
            "failed": failed,
            "failure_rate": round(failed / runs, 4),
            "threshold": rule.threshold,
            "min_runs": rule.min_runs,
            "links": runs_links(self.base_url, workflow_id, since=since),
            "email": rule.email,
            "webhook_url": rule.webhook_url,
        }


@dataclass(frozen=True)
class AlertSender:
    """The worker's part: send an alert, each of its sends at most once."""

    notifier: Notifier

    async def send(self, tenant_id: str, alert: dict[str, Any]) -> list[Sent]:
        shown = {k: v for k, v in alert.items() if k not in ("key", "email", "webhook_url")}
        notice = Notice(tenant_id, f"alert:{alert['key']}", "alert", {"alert": shown})
        sent = await self.notifier.send(notice, alert_actions(alert["email"], alert["webhook_url"]))
        for one in sent:
            log.info("alert %s: %s", alert["key"], one.said())
        return sent
