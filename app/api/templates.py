"""Message templates of the caller's tenant: what ``"template": "welcome_email"`` names."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.deps import Reader, ResourcesDep, StoreDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.examples import TEMPLATE_EXAMPLE
from app.api.schemas.page import Page
from app.models.template import MessageTemplate
from app.models.workflow import Page as PageQuery
from app.store.rules import now

router = APIRouter(prefix="/api/templates", tags=["templates"], responses=ERROR_RESPONSES)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
MAX_SUBJECT_CHARS = 2000  # of template source; the rendered subject is at most 998
# Of template source: the sandbox compiles at most 64 KiB, and the HTML part is wrapped.
MAX_PART_CHARS = 64_000
PARTS_EXAMPLE = {key: value for key, value in TEMPLATE_EXAMPLE.items() if key != "name"}
PREVIEW_DATA = {"user_name": "Ada", "signup_date": "2026-12-06", "user": {"id": "u1"}}


class TemplateParts(BaseModel):
    """Subject, plain text and HTML, each a sandboxed Jinja2 template over the run's context
    and the action's `data.variables`. HTML is autoescaped (mark trusted HTML with `|safe`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PARTS_EXAMPLE]})

    subject: str | None = Field(None, max_length=MAX_SUBJECT_CHARS)
    text: str | None = Field(None, max_length=MAX_PART_CHARS)
    html: str | None = Field(None, max_length=MAX_PART_CHARS)

    @model_validator(mode="after")
    def _has_a_body(self) -> "TemplateParts":
        if self.text is None and self.html is None:
            raise ValueError("a template needs text, html or both")
        return self

    def template(self, tenant_id: str, name: str) -> MessageTemplate:
        at = now()
        return MessageTemplate(tenant_id, name, self.subject, self.text, self.html, at, at)


class TemplateCreate(TemplateParts):
    model_config = ConfigDict(json_schema_extra={"examples": [TEMPLATE_EXAMPLE]})

    name: str = Field(
        pattern=NAME_PATTERN,
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
        json_schema_extra={"examples": [PARTS_EXAMPLE | {"data": PREVIEW_DATA}]}
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


@router.post("", status_code=201)
async def create_template(
    body: TemplateCreate, caller: Writer, resources: ResourcesDep
) -> TemplateRead:
    """Store a message template. Each part is compiled now: a syntax error is a 422 naming
    the part. 409 if the tenant already has a template of that name."""
    template = body.template(caller.tenant_id, body.name)
    return TemplateRead.of(await resources.templates.create(template))


@router.post("/preview")
async def preview_template(
    body: TemplatePreview, caller: Reader, resources: ResourcesDep
) -> PreviewRead:
    """Render a template, saved or not, over sample data: what the Studio's editor shows
    before saving. Nothing is stored; a part that does not compile or render is a 422
    naming it."""
    template = body.template(caller.tenant_id, "preview")
    message = resources.templates.preview(template, body.data)
    return PreviewRead(subject=message.subject, text=message.text, html=message.html)


@router.get("")
async def list_templates(
    caller: Reader,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=128, description="Last name of the page before.")] = None,
) -> TemplateList:  # fmt: skip
    """The tenant's templates, by name."""
    templates = await store.list_templates(caller.tenant_id, PageQuery(limit, after))
    return TemplateList.after_last(
        [TemplateRead.of(t) for t in templates], limit, lambda item: item.name
    )


@router.get("/{name}")
async def get_template(name: str, caller: Reader, store: StoreDep) -> TemplateRead:
    """One template (404 for another tenant's)."""
    return TemplateRead.of(await store.get_template(caller.tenant_id, name))


@router.put("/{name}")
async def update_template(
    name: str, body: TemplateParts, caller: Writer, resources: ResourcesDep
) -> TemplateRead:
    """Replace a template's subject, text and html (a part left out is removed). Steps that
    run after this use the new version."""
    template = body.template(caller.tenant_id, name)
    return TemplateRead.of(await resources.templates.update(template))


@router.delete("/{name}", status_code=204)
async def delete_template(name: str, caller: Writer, store: StoreDep) -> Response:
    """Delete a template. Steps naming it fail from then on, saying it is missing."""
    await store.delete_template(caller.tenant_id, name)
    return Response(status_code=204)
