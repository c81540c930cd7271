"""Notices: connector actions sent outside any run's walk (a failed run's ``on_failure``
actions, a tenant's alerts), through the same gateway as a step (configuration, secrets,
masking, the address guard), each at most once.

Each action is claimed in the store (``claim_notice``) before it is sent: a job delivered
again, or a second scheduler, finds the claim and sends nothing. So a send cut short by a
crash is not made again, and a failed send is recorded, not retried: a notice about a
failure must never turn into a stream of them.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app import metrics
from app.actions.base import ActionContext, ConnectorError
from app.clock import Clock
from app.engine.calls.gateway import Gateway
from app.engine.expressions.renderer import Renderer, TemplateError
from app.models.action import Action
from app.store.protocol import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """What is sent about: ``key`` names it uniquely within the tenant (each action's claim
    is ``key:action id``, also the call's idempotency key); ``context`` is what the
    actions' templates see."""

    tenant_id: str
    key: str
    # ``on_failure`` or ``alert``: the metric's label, and what errors call its actions.
    kind: str
    context: dict[str, Any]
    workflow_id: str = ""
    run_id: str = ""


@dataclass(frozen=True)
class Sent:
    """One action's fate: ``sent`` (its ``output``), ``failed`` (``error``) or ``claimed``
    already (by an earlier delivery of the same job: not sent again)."""

    action_id: str
    action_type: str
    outcome: str
    output: Any = None
    error: str | None = None

    def said(self) -> str:
        """One line for a run's history or a log."""
        done = f"{self.action_type} {self.action_id}"
        if self.outcome == "failed":
            return f"{done} failed: {self.error}"
        return f"{done} {'sent' if self.outcome == 'sent' else 'already claimed, not sent again'}"


@dataclass(frozen=True)
class Notifier:
    store: Store
    gateway: Gateway
    renderer: Renderer
    clock: Clock
    # Seconds per call when the action sets no timeout of its own.
    timeout: float

    async def send(self, notice: Notice, actions: Sequence[Action]) -> list[Sent]:
        """Send each action once, in order; a failure of one does not stop the others."""
        sent = [await self._one(notice, action) for action in actions]
        for one in sent:
            metrics.notice(notice.kind, one.outcome)
        return sent

    async def _one(self, notice: Notice, action: Action) -> Sent:
        action_id = str(action.id)
        key = f"{notice.key}:{action_id}"
        if not await self.store.claim_notice(notice.tenant_id, key, self.clock.now()):
            return Sent(action_id, action.type, "claimed")
        try:
            params = self.renderer.render(
                action.data, notice.context, f"{notice.kind} action {action_id} data"
            )
            ctx = ActionContext(
                tenant_id=notice.tenant_id,
                run_id=notice.run_id,
                workflow_id=notice.workflow_id,
                step_id=action_id,
                idempotency_key=key,
                attempt=1,
                event=notice.context,
            )
            seconds = action.timeout or self.timeout
            async with asyncio.timeout(seconds):
                output = await self.gateway.call(action.type, params, ctx)
        except (TemplateError, ConnectorError) as exc:
            return self._failed(notice, action, exc.message)
        except TimeoutError:
            return self._failed(notice, action, f"timed out after {seconds} s")
        return Sent(action_id, action.type, "sent", output=output)

    def _failed(self, notice: Notice, action: Action, error: str) -> Sent:
        log.warning("%s action %s (%s) failed: %s", notice.kind, action.id, action.type, error)
        return Sent(str(action.id), action.type, "failed", error=error)


def runs_links(
    base_url: str, workflow_id: str, run_id: str | None = None, since: str | None = None
) -> dict[str, str]:
    """Where a person looks at a workflow's failed runs (since ``since``, when given) and at
    one run: the Studio's runs list filtered by workflow and status, and the API's."""
    asked = {"workflow_id": workflow_id, "status": "failed"}
    query = urlencode(asked if since is None else asked | {"since": since})
    links = {
        "studio_runs": f"{base_url}/studio/runs?{query}",
        "api_runs": f"{base_url}/api/runs?{query}",
    }
    if run_id is not None:
        links |= {"studio_run": f"{base_url}/studio/runs/{run_id}"}
        links |= {"api_run": f"{base_url}/api/runs/{run_id}"}
    return links
