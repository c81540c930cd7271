"""Dry answers for debugging: which workflows an event would start and why, what each action
would receive, and what a set of conditions makes of a payload. Nothing is stored or sent."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.actions.base import ActionContext
from app.actions.registry import CUSTOM_ACTION
from app.clock import Clock
from app.engine.calls.gateway import Gateway, Rehearsal
from app.engine.expressions.conditions import compile_conditions
from app.engine.expressions.renderer import Renderer, TemplateError
from app.engine.walk.context import template_context
from app.engine.walk.dry_run import WOULD_FAIL
from app.models.action import Action
from app.models.condition import Condition
from app.models.document import WorkflowDocument, walk
from app.models.run import EventRecord, Run
from app.triggers.ingest import new_run, run_context
from app.triggers.matcher import Candidate, Matcher

# What a preview shows for an approval step's links: they are signed when a run renders them.
SIGNED_LATER = "(a signed link, made when the run renders this step)"


def _approval_links(actions: list[Action]) -> dict[str, Any]:
    if not any(action.type == "approval" for action in actions):
        return {}
    return {
        "approval": {
            "id": "(the approval's id)",
            "approve_url": SIGNED_LATER,
            "reject_url": SIGNED_LATER,
        }
    }


def sample_event(
    tenant_id: str, event_type: str, user: dict[str, Any], data: dict[str, Any], now: datetime
) -> EventRecord:
    return EventRecord(tenant_id, "test-event", event_type, user, data, now, now)


def explain_rules(
    conditions: list[Condition], payload: dict[str, Any], clock: Clock
) -> dict[str, Any]:
    compiled = compile_conditions(conditions, clock)
    return {"result": compiled(payload), "conditions": compiled.explain(payload)}


@dataclass
class TriggerPreview:
    matcher: Matcher
    renderer: Renderer
    # Says which connector calls would fail now; without one, only templates are checked.
    gateway: Gateway | None = None

    async def preview(self, event: EventRecord) -> list[dict[str, Any]]:
        context = run_context(event)
        candidates = await self.matcher.candidates(event.tenant_id, event.type)
        return [await self._one(event, candidate, context) for candidate in candidates]

    async def _one(
        self, event: EventRecord, candidate: Candidate, context: dict[str, Any]
    ) -> dict[str, Any]:
        matched = candidate.conditions(context)
        run = new_run(event, candidate, context)
        actions = walk(candidate.document.actions)
        render_context = template_context(run) | _approval_links(actions)
        return {
            "workflow_id": candidate.document.workflow_id,
            "version": candidate.version,
            "matched": matched,
            "conditions": candidate.conditions.explain(context),
            "actions": [await self._payload(run, a, render_context) for a in actions],
        }

    async def _payload(self, run: Run, action: Action, context: dict[str, Any]) -> dict[str, Any]:
        """What the action would receive, and ``status``: ``would_fail`` with the ``reason``
        when its data does not render or its call would fail now, else ``would_run``."""
        shown: dict[str, Any] = {"id": action.id, "type": action.type, "delay": action.delay}
        if action.template is not None:
            shown["template"] = action.template
        try:
            shown["data"] = self.renderer.render(action.data, context, f"action {action.id} data")
        except TemplateError as exc:
            return shown | {"error": exc.message, "status": WOULD_FAIL, "reason": exc.message}
        rehearsal = await self._rehearse(run, action, shown["data"])
        if rehearsal.reason is not None:
            return shown | {"status": WOULD_FAIL, "reason": rehearsal.reason}
        message = {} if rehearsal.draft is None else {"message": rehearsal.draft}
        return shown | {"status": "would_run"} | message

    async def _rehearse(self, run: Run, action: Action, params: dict[str, Any]) -> Rehearsal:
        gateway = self.gateway
        if gateway is None or not _calls_out(gateway, action):
            return Rehearsal()  # a control or flow step: the walk itself does it
        ctx = _step_context(run.tenant_id, run.run_id, run.workflow_id, action, run.context)
        return await gateway.rehearse(action.type, params, ctx)


@dataclass(frozen=True)
class ActionWarning:
    """Why an action would fail if a run reached it now, whatever its event."""

    action_id: str
    action_type: str
    message: str


async def warnings(
    gateway: Gateway, tenant_id: str, document: WorkflowDocument
) -> list[ActionWarning]:
    """What would fail when a run reaches each action now, whatever its event: a message
    template or a secret not created yet, a channel with no provider. A save is not refused
    for them (they may be made before the first run); a dry run checks the rendered data."""
    found = []
    for action in walk(document.actions):
        if not _calls_out(gateway, action):
            continue
        reason = await would_fail(gateway, tenant_id, document.workflow_id, action)
        if reason is not None:
            found.append(ActionWarning(str(action.id), action.type, reason))
    return found


async def import_warnings(
    gateway: Gateway, tenant_id: str, document: WorkflowDocument | None
) -> list[ActionWarning]:
    """``warnings`` of an imported document; none for a file refused (no document)."""
    return [] if document is None else await warnings(gateway, tenant_id, document)


async def would_fail(
    gateway: Gateway, tenant_id: str, workflow_id: str, action: Action
) -> str | None:
    """Why the connector's ``action`` of the workflow would fail when a run reaches it now,
    whatever its event (``Gateway.would_fail_for_any_event``), else None."""
    ctx = _step_context(tenant_id, "validate", workflow_id, action, {})
    return await gateway.would_fail_for_any_event(action.type, action.data, ctx)


def _calls_out(gateway: Gateway, action: Action) -> bool:
    """Whether a connector runs the action (not the walk itself: a control or flow step)."""
    return action.type == CUSTOM_ACTION or gateway.registry.find(action.type) is not None


def _step_context(
    tenant_id: str, run_id: str, workflow_id: str, action: Action, event: dict[str, Any]
) -> ActionContext:
    return ActionContext(
        tenant_id=tenant_id,
        run_id=run_id,
        workflow_id=workflow_id,
        step_id=str(action.id),
        idempotency_key=f"test:{action.id}",
        attempt=1,
        event=event,
        template=action.template,
    )
