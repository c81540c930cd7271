"""What the templates API reads and answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.api.examples import TEMPLATE_EXAMPLE
from app.api.schemas.page import Page
from app.models.patterns import ID_PATTERN
from app.models.template import MessageTemplate

MAX_SUBJECT_CHARS = 2000  # of template source; the rendered subject is at most 998
# Of template source: the sandbox compiles at most 64 KiB, and the HTML part is wrapped.
MAX_PART_CHARS = 64_000
PARTS_EXAMPLE = {key: value for key, value in TEMPLATE_EXAMPLE.items() if key != "name"}
PREVIEW_DATA = {"user_name": "Ada", "signup_date": "2026-12-06", "user": {"id": "u1"}}


# The schema says what the validator checks: text, html or both, as strings.
NEEDS_A_BODY: JsonDict = {
    "anyOf": [
        {"required": [part], "properties": {part: {"type": "string"}}} for part in ("text", "html")
    ]
}


class TemplateParts(BaseModel):
    """Subject, plain text and HTML, each a sandboxed Jinja2 template over the run's context
    and the action's `data.variables`. HTML is autoescaped (mark trusted HTML with `|safe`)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [PARTS_EXAMPLE], **NEEDS_A_BODY}
    )

    subject: str | None = Field(None, max_length=MAX_SUBJECT_CHARS)
    text: str | None = Field(None, max_length=MAX_PART_CHARS)
    html: str | None = Field(None, max_length=MAX_PART_CHARS)

    @model_validator(mode="after")
    def _has_a_body(self) -> "TemplateParts":
        if self.text is None and self.html is None:
            raise ValueError("a template needs text, html or both")
        return self

    def template(self, tenant_id: str, name: str, at: datetime) -> MessageTemplate:
        return MessageTemplate(tenant_id, name, self.subject, self.text, self.html, at, at)


class TemplateCreate(TemplateParts):
    model_config = ConfigDict(json_schema_extra={"examples": [TEMPLATE_EXAMPLE], **NEEDS_A_BODY})

    name: str = Field(
        pattern=ID_PATTERN,
        description="Letters, digits, `_`, `.` and `-`, at most 128; unique in the tenant.",
    )


class TemplateRead(BaseModel):
    name: str
    subject: str | None
    text: str | None
    html: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, template: MessageTemplate) -> "TemplateRead":
        return cls.model_validate(template, from_attributes=True)


class TemplateList(Page[TemplateRead]):
    """A page of templates, by name."""


class TemplatePreview(TemplateParts):
    model_config = ConfigDict(
        json_schema_extra={"examples": [PARTS_EXAMPLE | {"data": PREVIEW_DATA}], **NEEDS_A_BODY}
    )

    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Sample data to render over, as a step's would be: the event's data at "
        "the root, `user`, `event`, and the action's `data.variables`.",
    )


class PreviewRead(BaseModel):
    """The parts as a step would send them; `html` is markup (show it as text or sandboxed)."""

    subject: str | None
    text: str | None
    html: str | None
