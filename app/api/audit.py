"""``GET /api/audit``: the tenant's changes, newest first (admin role)."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.bodies import JsonRoute
from app.api.deps import Auditor, StoreDep
from app.api.errors import ERROR_RESPONSES
from app.api.schemas.audit import AuditList, AuditRead
from app.models.audit import AuditFilter
from app.models.instant import Instant
from app.models.workflow import Page as PageQuery

router = APIRouter(
    prefix="/api/audit", tags=["audit"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


@router.get("")
async def list_audit(
    caller: Auditor,
    store: StoreDep,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=256)] = None,
    actor: Annotated[str | None, Query(max_length=64, description="An API key id.")] = None,
    since: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(description="The last entry_id of the page before.")] = None,
) -> AuditList:
    """Who changed what and when: workflows (create, update, publish, enable, disable,
    archive, import), API keys (create, revoke), run control, secrets (names only),
    integrations, tenant limits and segments. Filter by entity, actor and time; paged."""
    where = AuditFilter(entity_type, entity_id, actor, since)
    entries = await store.list_audit(caller.tenant_id, where, PageQuery(limit, after))
    return AuditList.after_last(
        [AuditRead.of(entry) for entry in entries], limit, lambda item: item.entry_id
    )
