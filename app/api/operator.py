"""``/api/operator/``: tenants made and read by whoever runs the deployment, with the
deployment's own credential (AUTOMATOR_OPERATOR_TOKEN), which no tenant holds.

Unset, the routes answer a request carrying a credential with a 403 naming the setting
rather than a 404: the routes are in the OpenAPI document for anyone to read, so hiding them
hides nothing, and an operator whose script fails learns what to set. A request with none
gets the 401 of any route that needs a credential."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.bodies import JsonRoute
from app.api.deps import ResourcesDep, StoreDep
from app.api.errors import error_responses
from app.api.schemas.keys import KeyCreated, KeyRead
from app.api.schemas.tenants import (
    AdminKeyCreate,
    TenantCreate,
    TenantCreated,
    TenantDetail,
    TenantList,
    TenantRead,
)
from app.api.tokens import check_operator
from app.models.workflow import Page as PageQuery

operator_token = HTTPBearer(
    scheme_name="OperatorToken",
    auto_error=False,
    description="The deployment's AUTOMATOR_OPERATOR_TOKEN: `Authorization: Bearer <token>`. "
    "It opens /api/operator/ only; tenants' API keys do not.",
)
Token = Annotated[HTTPAuthorizationCredentials | None, Depends(operator_token)]


async def require_operator(resources: ResourcesDep, credentials: Token) -> None:
    """The request carries AUTOMATOR_OPERATOR_TOKEN (``check_operator``)."""
    check_operator(resources.settings, credentials.credentials if credentials else None)


RESPONSES = error_responses(
    {
        401: "The request does not carry AUTOMATOR_OPERATOR_TOKEN (a tenant's key never does)",
        403: "AUTOMATOR_OPERATOR_TOKEN is not set: the operator API is off",
        422: "Invalid input; details name each field and rule",
    }
)
# Each declared only on the routes that answer it.
NOT_FOUND = error_responses({404: "No such tenant"})
EXISTS = error_responses(
    {409: "The tenant exists (the message says how to give it another admin key)"}
)
router = APIRouter(
    prefix="/api/operator",
    tags=["operator"],
    responses=RESPONSES,
    dependencies=[Depends(require_operator)],
    route_class=JsonRoute,
)


@router.post("/tenants", status_code=201, responses=EXISTS)
async def create_tenant(body: TenantCreate, resources: ResourcesDep) -> TenantCreated:
    """Create a tenant and its first admin key, whose `key` is shown in this reply only
    (give it to the tenant; it makes their other keys with `POST /api/keys`). Recorded in
    the tenant's audit log (`tenant.create`, `api_key.create`) by the actor `operator`."""
    tenant, issued = await resources.tenants.create(body.tenant_id, body.name)
    admin_key = KeyCreated(**KeyRead.of(issued.key).model_dump(), key=issued.secret)
    return TenantCreated(**TenantRead.of(tenant).model_dump(), admin_key=admin_key)


@router.get("/tenants")
async def list_tenants(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[
        str | None, Query(max_length=128, description="The last tenant_id of the page before.")
    ] = None,
) -> TenantList:
    """Every tenant of the deployment, by tenant id; paged."""
    tenants = await store.list_tenants(PageQuery(limit, after))
    return TenantList.after_last(
        [TenantRead.of(tenant) for tenant in tenants], limit, lambda item: item.tenant_id
    )


@router.get("/tenants/{tenant_id}", responses=NOT_FOUND)
async def get_tenant(tenant_id: str, resources: ResourcesDep) -> TenantDetail:
    """A tenant at a glance: its live keys by role, its workflows (not archived) and the
    events it sent in the last 24 hours."""
    return TenantDetail.of_summary(await resources.tenants.summary(tenant_id))


@router.post("/tenants/{tenant_id}/keys", status_code=201, responses=NOT_FOUND)
async def add_admin_key(
    tenant_id: str, body: AdminKeyCreate, resources: ResourcesDep
) -> KeyCreated:
    """Give an existing tenant another admin key over the whole tenant, whose `key` is shown
    in this reply only: the way back in when its admin keys are all revoked, expired or
    lost. Recorded in the tenant's audit log (`api_key.create`) by the actor `operator`."""
    issued = await resources.tenants.add_admin_key(tenant_id, body.name)
    return KeyCreated(**KeyRead.of(issued.key).model_dump(), key=issued.secret)
