"""Message templates of the caller's tenant: what ``"template": "welcome_email"`` names."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.bodies import JsonRoute
from app.api.deps import Reader, ResourcesDep, StoreDep, Writer
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.templates import (
    PreviewRead,
    TemplateCreate,
    TemplateList,
    TemplateParts,
    TemplatePreview,
    TemplateRead,
)
from app.models.workflow import Page as PageQuery

router = APIRouter(
    prefix="/api/templates", tags=["templates"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.post("", status_code=201)
async def create_template(
    body: TemplateCreate, caller: Writer, resources: ResourcesDep
) -> TemplateRead:
    """Store a message template. Each part is compiled now: a syntax error is a 422 naming
    the part. 409 if the tenant already has a template of that name."""
    template = body.template(caller.tenant_id, body.name, resources.clock.now())
    return TemplateRead.of(await resources.templates.create(template))


@router.post("/preview")
async def preview_template(
    body: TemplatePreview, caller: Reader, resources: ResourcesDep
) -> PreviewRead:
    """Render a template, saved or not, over sample data: what the Studio's editor shows
    before saving. Nothing is stored; a part that does not compile or render is a 422
    naming it."""
    template = body.template(caller.tenant_id, "preview", resources.clock.now())
    message = resources.templates.preview(template, body.data)
    return PreviewRead(subject=message.subject, text=message.text, html=message.html)


@router.get("")
async def list_templates(
    caller: Reader,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[
        str | None, Query(max_length=128, description="Last name of the page before.")
    ] = None,
) -> TemplateList:
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
    template = body.template(caller.tenant_id, name, resources.clock.now())
    return TemplateRead.of(await resources.templates.update(template))


@router.delete("/{name}", status_code=204)
async def delete_template(name: str, caller: Writer, store: StoreDep) -> Response:
    """Delete a template. Steps naming it fail from then on, saying it is missing."""
    await store.delete_template(caller.tenant_id, name)
    return Response(status_code=204)
