"""Liveness and readiness."""

import asyncio
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.bodies import JsonRoute
from app.api.deps import ResourcesDep

router = APIRouter(tags=["health"], route_class=JsonRoute)
# A dependency that does not answer within this is down (a stopped Redis accepts
# connections and never replies).
CHECK_SECONDS = 2.0


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers. No dependencies are checked."""
    return {"status": "ok"}


@router.get(
    "/ready",
    responses={503: {"description": "A dependency is unreachable; `checks` says which and why"}},
)
async def ready(resources: ResourcesDep) -> JSONResponse:
    """Readiness: the store and Redis answer, and each task this process runs besides the
    API (under ``automator dev``: the worker polling, the scheduler leading, the Redis it
    started) is doing its job. A 503 names each part that is down and why."""
    checks: dict[str, Any] = {"store": await _answers(resources.store.ping())}
    if resources.redis_engine is None:
        checks["redis"] = "not configured: set AUTOMATOR_REDIS_URL"
    else:
        checks["redis"] = await _answers(resources.redis_engine.queue.pool.ping())
    for name, problem in resources.supervisor.problems().items():
        checks[name] = problem or "ok"
    ok = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)


async def _answers(ping: Awaitable[Any]) -> str:
    try:
        await asyncio.wait_for(ping, CHECK_SECONDS)
    except TimeoutError:
        return f"unreachable: no answer within {CHECK_SECONDS:g} s"
    except Exception as exc:  # any failure means not ready; the reason is reported
        return f"unreachable: {exc}"
    return "ok"
