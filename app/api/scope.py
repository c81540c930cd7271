"""Keys limited to named workflows or to tags (``ApiKey.scope``): checked once per request,
after the key is known and before the route runs.

Such a key reaches the workflow, run and approval routes only (and the connector catalogue
and the Studio's session); anything else of the tenant's is a 403 naming the limit. A
workflow, run or approval outside its reach answers 404, exactly as one that does not exist,
so a limited key cannot learn what else the tenant has. Lists are filtered by their routes;
routes over many workflows at once (import, export, status, bulk run commands) are a 403.
A key limited by tag reaches the workflows whose newest version carries one of its tags, so
whether it sees one is read from the workflow's head on each request.
"""

from starlette.requests import Request

from app.engine.walk.approvals import run_of
from app.errors import Forbidden, NotFound
from app.models.tenant import ApiKey
from app.models.workflow import Page, WorkflowFilter
from app.store.errors import run_not_found, workflow_not_found
from app.store.protocol import Store

REACHABLE = ("/api/workflows", "/api/runs", "/api/approvals", "/api/connectors", "/api/session")
# Routes over many workflows at once that a limited key does not reach: it works one
# workflow at a time.
TENANT_WIDE = frozenset(
    {"/api/workflows/import", "/api/workflows/export", "/api/workflows/status", "/api/runs/bulk"}
)
# Far more workflows than a tenant holds under one tag.
EVERY_TAGGED = Page(limit=10_000)


async def check_scope(key: ApiKey, request: Request, store: Store) -> None:
    """Forbidden outside the routes a limited key reaches; NotFound for a workflow, run or
    approval it may not see."""
    scope = key.scope
    if scope is None:
        return
    path = request.url.path
    reachable = any(path == prefix or path.startswith(prefix + "/") for prefix in REACHABLE)
    if not reachable or path.rstrip("/") in TENANT_WIDE or path.startswith("/api/runs/bulk/"):
        raise Forbidden(
            f"This key is limited to {scope.describe()}: it reaches "
            "/api/workflows, /api/runs and /api/approvals only."
        )
    params = request.path_params
    workflow_id = params.get("workflow_id") or request.query_params.get("workflow_id")
    if workflow_id is not None and not await visible(key, workflow_id, store):
        raise workflow_not_found(workflow_id)
    if "run_id" in params:
        run = await store.get_run(key.tenant_id, params["run_id"])
        if not await visible(key, run.workflow_id, store):
            raise run_not_found(params["run_id"])
    if "approval_id" in params:
        await _approval(key, params["approval_id"], store)


async def visible(key: ApiKey, workflow_id: str, store: Store) -> bool:
    """Whether ``key`` may see the workflow: named by it, or carrying one of its tags."""
    scope = key.scope
    if scope is None or scope.sees(workflow_id):
        return True
    if not scope.tags:
        return False
    try:
        head = await store.get_workflow(key.tenant_id, workflow_id)
    except NotFound:
        return False
    return scope.sees(workflow_id, head.tags)


async def _approval(key: ApiKey, approval_id: str, store: Store) -> None:
    missing = NotFound(f"Approval {approval_id!r} was not found.")
    run_id = run_of(approval_id)
    if run_id is None:
        raise missing
    try:
        run = await store.get_run(key.tenant_id, run_id)
    except NotFound:
        raise missing from None
    if not await visible(key, run.workflow_id, store):
        raise missing


async def reachable_workflows(key: ApiKey, store: Store) -> list[str] | None:
    """The ids of every workflow a limited key sees (archived ones too: their runs are
    kept); None for a key that is not limited."""
    scope = key.scope
    if scope is None:
        return None
    found = set(scope.workflows)
    for tag in scope.tags:
        where = WorkflowFilter(include_archived=True, tag=tag)
        heads = await store.list_workflows(key.tenant_id, where, EVERY_TAGGED)
        found.update(head.workflow_id for head in heads)
    return sorted(found)
