"""Dry answers for debugging: which workflows an event would start and why, what each action
would receive, and what a set of conditions makes of a payload. Nothing is stored or sent."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.clock import Clock
from app.engine.expressions.conditions import compile_conditions
from app.engine.expressions.templates import Renderer, TemplateError
from app.engine.walk.walker import template_context
from app.models.document import Action, Condition, walk
from app.models.run import EventRecord
from app.triggers.ingest import new_run, run_context
from app.triggers.matcher import Candidate, Matcher


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

    async def preview(self, event: EventRecord) -> list[dict[str, Any]]:
        context = run_context(event)
        candidates = await self.matcher.candidates(event.tenant_id, event.type)
        return [self._one(event, candidate, context) for candidate in candidates]

    def _one(
        self, event: EventRecord, candidate: Candidate, context: dict[str, Any]
    ) -> dict[str, Any]:
        matched = candidate.conditions(context)
        render_context = template_context(new_run(event, candidate, context))
        return {
            "workflow_id": candidate.document.workflow_id,
            "version": candidate.version.version,
            "matched": matched,
            "conditions": candidate.conditions.explain(context),
            "actions": [self._payload(a, render_context) for a in walk(candidate.document.actions)],
        }

    def _payload(self, action: Action, context: dict[str, Any]) -> dict[str, Any]:
        shown: dict[str, Any] = {"id": action.id, "type": action.type, "delay": action.delay}
        if action.template is not None:
            shown["template"] = action.template
        try:
            shown["data"] = self.renderer.render(action.data, context, f"action {action.id} data")
        except TemplateError as exc:
            shown["error"] = exc.message
        return shown
