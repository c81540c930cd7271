"""Stored message templates: checked when saved, rendered for the step that names one.

Each part (subject, text, html) is a sandboxed template. The HTML part is rendered with
autoescaping, so event data such as a user's name cannot inject markup into a message; a
template author marks trusted HTML with ``|safe``. A subject is one line: its whitespace
runs, line breaks included, become single spaces (a line break would end the header).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.actions.base import ConnectorError, Message
from app.engine.expressions.renderer import Renderer, TemplateError
from app.errors import ErrorDetail, NotFound
from app.models.template import MessageTemplate
from app.store.protocol import Store

PARTS = ("subject", "text", "html")
# The same message reaches the Studio (a run's error, a warning) and API callers: the
# Studio's way first, for the marketer who reads it there.
CREATE_TEMPLATE = (
    "create it in the Studio under Governance → Message templates, or with POST /api/templates"
)


def _source(part: str, source: str) -> str:
    if part == "html":
        # No line break is added, so line numbers in errors stay the author's.
        return f"{{% autoescape true %}}{source}{{% endautoescape %}}"
    return source


def _as_text(part: str, value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return " ".join(text.split()) if part == "subject" else text


@dataclass(frozen=True)
class MessageTemplates:
    store: Store
    renderer: Renderer

    async def create(self, template: MessageTemplate) -> MessageTemplate:
        self.check(template)
        return await self.store.create_template(template)

    async def update(self, template: MessageTemplate) -> MessageTemplate:
        self.check(template)
        return await self.store.update_template(template)

    def check(self, template: MessageTemplate) -> None:
        """Refuse a template whose parts do not compile, naming the part (a 422)."""
        for part in PARTS:
            source = getattr(template, part)
            if source is None:
                continue
            try:
                self.renderer.check(_source(part, source), part)
            except TemplateError as exc:
                reason = exc.details[0].msg if exc.details else exc.message
                raise TemplateError(exc.message, [ErrorDetail(("body", part), reason)]) from None

    async def message(
        self, tenant_id: str, name: str, context: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> Message:
        """The tenant's template ``name`` rendered over ``context`` with ``variables`` at the
        root (a variable wins over a context field of the same name). A missing template or a
        template that fails to render is a final ConnectorError naming it."""
        template = await self._named(tenant_id, name)
        try:
            return self.render(template, {**context, **variables})
        except TemplateError as exc:
            raise ConnectorError(exc.message) from None

    async def stored(self, tenant_id: str, name: str) -> Message:
        """The tenant's template ``name`` as written; a final ConnectorError when missing."""
        template = await self._named(tenant_id, name)
        return Message(name, template.subject, template.text, template.html)

    async def _named(self, tenant_id: str, name: str) -> MessageTemplate:
        try:
            return await self.store.get_template(tenant_id, name)
        except NotFound:
            raise ConnectorError(
                f"message template {name!r} was not found; {CREATE_TEMPLATE}"
            ) from None

    def preview(self, template: MessageTemplate, scope: Mapping[str, Any]) -> Message:
        """An unsaved ``template`` rendered over sample ``scope`` as a step would render it; a
        part that does not compile or render is a TemplateError naming it (a 422). Its errors
        speak of the part and the sample data, which the person previewing is editing: not
        of a template named "preview", nor of an event there is none of."""
        self.check(template)
        rendered = {part: self._render(template, part, scope, PREVIEW) for part in PARTS}
        return Message(name=template.name, **rendered)

    def render(self, template: MessageTemplate, scope: Mapping[str, Any]) -> Message:
        where = _Where(f"message template {template.name!r} ", None)
        rendered = {part: self._render(template, part, scope, where) for part in PARTS}
        return Message(name=template.name, **rendered)

    def _render(
        self, template: MessageTemplate, part: str, scope: Mapping[str, Any], where: "_Where"
    ) -> str | None:
        source = getattr(template, part)
        if source is None:
            return None
        text = _source(part, source)
        try:
            if "{{" in text or "{%" in text:
                value = self.renderer.render_text(
                    text, scope, where.prefix + part, (), reads=where.reads
                )
            else:
                value = text
        except TemplateError as exc:
            reason = exc.details[0].msg if exc.details else exc.message
            raise TemplateError(exc.message, [ErrorDetail(("body", part), reason)]) from None
        return _as_text(part, value)


@dataclass(frozen=True)
class _Where:
    """How a template's render errors name the part (``prefix`` + part) and what it reads
    (None: the renderer's own, "the event")."""

    prefix: str
    reads: str | None


PREVIEW = _Where("", "the sample data")
