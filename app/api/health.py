"""Liveness and readiness."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.deps import ResourcesDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers. No dependencies are checked."""
    return {"status": "ok"}


@router.get(
    "/ready",
    responses={503: {"description": "A dependency is unreachable; `checks` says which and why"}},
)
async def ready(resources: ResourcesDep) -> JSONResponse:
    """Readiness: the store and Redis both answer."""
    checks: dict[str, Any] = {"store": "ok", "redis": "ok"}
    try:
        await resources.store.ping()
    except Exception as exc:  # any failure means not ready; the reason is reported
        checks["store"] = f"unreachable: {exc}"
    if resources.redis_engine is None:
        checks["redis"] = "not configured: set AUTOMATOR_REDIS_URL"
    else:
        try:
            await resources.redis_engine.queue.pool.ping()
        except Exception as exc:
            checks["redis"] = f"unreachable: {exc}"
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)
