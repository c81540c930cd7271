"""Keys limited to named workflows (``ApiKey.workflows``): checked once per request, after
the key is known and before the route runs.

Such a key reaches the workflow, run and approval routes only (and the connector catalogue
and the Studio's session); anything else of the tenant's is a 403 naming the limit. A
workflow, run or approval outside its list answers 404, exactly as one that does not exist,
so a limited key cannot learn what else the tenant has. Lists are filtered by their routes;
routes over many workflows at once (import, export, status, bulk run commands) are a 403.
"""

from starlette.requests import Request

from app.engine.walk.approvals import run_of
from app.errors import ErrorDetail, Forbidden, InvalidInput, NotFound
from app.models.tenant import ApiKey
from app.store.errors import run_not_found, workflow_not_found
from app.store.protocol import Store

REACHABLE = ("/api/workflows", "/api/runs", "/api/approvals", "/api/connectors", "/api/session")
# Routes over many workflows at once that a limited key does not reach: it works one
# workflow at a time.
TENANT_WIDE = frozenset(
    {"/api/workflows/import", "/api/workflows/export", "/api/workflows/status", "/api/runs/bulk"}
)


async def check_scope(key: ApiKey, request: Request, store: Store) -> None:
    """Forbidden outside the routes a limited key reaches; NotFound for a workflow, run or
    approval it may not see."""
    if key.workflows is None:
        return
    path = request.url.path
    reachable = any(path == prefix or path.startswith(prefix + "/") for prefix in REACHABLE)
    if not reachable or path.rstrip("/") in TENANT_WIDE or path.startswith("/api/runs/bulk/"):
        raise Forbidden(
            f"This key is limited to the workflows {', '.join(key.workflows)}: it reaches "
            "/api/workflows, /api/runs and /api/approvals only."
        )
    params = request.path_params
    workflow_id = params.get("workflow_id") or request.query_params.get("workflow_id")
    if workflow_id is not None and not key.sees(workflow_id):
        raise workflow_not_found(workflow_id)
    if "run_id" in params:
        run = await store.get_run(key.tenant_id, params["run_id"])
        if not key.sees(run.workflow_id):
            raise run_not_found(params["run_id"])
    if "approval_id" in params:
        await _approval(key, params["approval_id"], store)


async def _approval(key: ApiKey, approval_id: str, store: Store) -> None:
    missing = NotFound(f"Approval {approval_id!r} was not found.")
    run_id = run_of(approval_id)
    if run_id is None:
        raise missing
    try:
        run = await store.get_run(key.tenant_id, run_id)
    except NotFound:
        raise missing from None
    if not key.sees(run.workflow_id):
        raise missing


def only_workflow(key: ApiKey) -> str | None:
    """The workflow a limited key's run list is of when it names none; InvalidInput when
    the key has several (a run list is of one workflow at a time then)."""
    if key.workflows is None:
        return None
    if len(key.workflows) > 1:
        raise InvalidInput(
            f"This key is limited to the workflows {', '.join(key.workflows)}: name one "
            "with workflow_id.",
            [ErrorDetail(("query", "workflow_id"), "required for a key limited to several")],
        )
    return key.workflows[0]
