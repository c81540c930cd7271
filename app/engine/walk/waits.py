"""Waiting for events: correlation keys, the wait a run parks at, and the events a run
listens to while it lives (exits and goals).

A run waiting for ``purchase_completed`` with ``{"user.id": "{{user.id}}"}`` renders the match
once, in its own context, and is indexed in the store by a key of the event type, the paths and
the rendered values. An arriving event computes the same key from its own fields for every
(type, paths) shape the tenant's workflows use, so finding the runs it resumes is one indexed
lookup per shape, whatever the number of waiting runs.
"""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson

from app.engine.expressions.paths import MISSING, resolve_field, split_path
from app.engine.expressions.renderer import Renderer, TemplateError
from app.errors import shown
from app.models.action import Action, EventMatch
from app.models.document import WorkflowDocument
from app.models.run import Listener, ListenerAction, Wait
from app.models.validation import delay_seconds


def _text(value: Any) -> str | None:
    """A correlation value as text, so ``42``, ``42.0`` and ``"42"`` match; None when the
    value cannot correlate (missing, null, an object or a list)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    return None


def correlation_key(event_type: str, values: Mapping[str, str]) -> str:
    """The index key of an event type with these field values (paths → text)."""
    canonical = orjson.dumps([event_type, sorted(values.items())])
    return hashlib.sha256(canonical).hexdigest()[:40]


def event_key(event_type: str, context: Mapping[str, Any], paths: Sequence[str]) -> str | None:
    """The key of an arriving event for one shape (its fields at ``paths``); None when the
    event lacks one of them."""
    values = {}
    for path in paths:
        found = resolve_field(context, split_path(path))
        text = None if found is MISSING else _text(found)
        if text is None:
            return None
        values[path] = text
    return correlation_key(event_type, values)


def render_match(
    spec: EventMatch, context: Mapping[str, Any], renderer: Renderer, where: str
) -> dict[str, str]:
    """The match rendered in the run's context, every value as text."""
    rendered = renderer.render(spec.match, context, where)
    values = {}
    for path, value in rendered.items():
        text = _text(value)
        if text is None:
            raise TemplateError(
                f"{where}.{path} rendered {shown(value)}: a match value must be a string, a number "
                "or a boolean"
            )
        values[path] = text
    return values


def listeners(
    document: WorkflowDocument, context: Mapping[str, Any], renderer: Renderer
) -> list[Listener]:
    """The events a new run listens to (``settings.cancel_on``, ``settings.goal``), their
    matches rendered in its starting context, each with what it does to the run."""
    settings = document.settings
    where = f"workflow {document.workflow_id} settings"
    found = [
        _listener(exit, "cancel", context, renderer, f"{where}.cancel_on.{n}.match")
        for n, exit in enumerate(settings.cancel_on or [])
    ]
    if settings.goal is not None:
        on: ListenerAction = "goal_exit" if settings.goal.exit else "goal"
        found.append(_listener(settings.goal, on, context, renderer, f"{where}.goal.match"))
    return found


def _listener(
    spec: EventMatch,
    on: ListenerAction,
    context: Mapping[str, Any],
    renderer: Renderer,
    where: str,
) -> Listener:
    match = render_match(spec, context, renderer, where)
    return {
        "event": spec.event,
        "match": match,
        "key": correlation_key(spec.event, match),
        "on": on,
    }


def begin_wait(
    action: Action, context: Mapping[str, Any], renderer: Renderer, now: datetime, scale: float
) -> Wait:
    """The wait a run parks at for ``action``: what it waits for and its window. The
    timeout is scaled like delays; the lookback is not (it is about events already in)."""
    spec = action.wait()
    match = render_match(spec, context, renderer, f"action {action.id} data.match")
    timeout = delay_seconds(spec.timeout) * scale
    return {
        "step": action.id,
        "event": spec.event,
        "match": match,
        "key": correlation_key(spec.event, match),
        "started_at": now.isoformat(),
        "since": (now - timedelta(seconds=delay_seconds(spec.lookback))).isoformat(),
        "deadline": (now + timedelta(seconds=timeout)).isoformat(),
    }


def deadline(wait: Wait) -> datetime:
    return datetime.fromisoformat(wait["deadline"])


def since(wait: Wait) -> datetime:
    return datetime.fromisoformat(wait["since"])
