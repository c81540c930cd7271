"""``GET /metrics`` for Prometheus, and the count of refused event requests."""

import asyncio
import math

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.api.deps import ResourcesDep
from app.resources import Resources

router = APIRouter(tags=["operations"])
# The gauges read Redis and the store; scrapes closer together than this reuse the last read.
REFRESH_SECONDS = 5.0
EVENT_PATHS = ("/api/events",)
REASONS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


class Gauges:
    """Reads the queue depth and live runs at most every ``REFRESH_SECONDS``, so a caller
    polling /metrics cannot turn it into load on the store."""

    def __init__(self, seconds: float = REFRESH_SECONDS) -> None:
        self.seconds = seconds
        self._read_at = -math.inf
        self._lock = asyncio.Lock()

    async def refresh(self, resources: Resources) -> None:
        async with self._lock:
            if resources.clock.monotonic() - self._read_at < self.seconds:
                return
            self._read_at = resources.clock.monotonic()
            metrics.live_runs(await resources.store.live_run_counts())
            if resources.redis_engine is not None:
                metrics.queue_depth(*await resources.redis_engine.queue.depth())


gauges = Gauges()


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def scrape(resources: ResourcesDep) -> Response:
    """Prometheus metrics of this process (in `automator dev`, of the worker and scheduler
    too). Serve it to your monitoring network only: labels name tenants and workflows."""
    await gauges.refresh(resources)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class EventRejections:
    """Counts event requests answered with an error, by reason, whichever layer refused them
    (the size limit, authentication, validation, the rate limit)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _ingests(scope):
            await self.app(scope, receive, send)
            return
        started = False

        async def observed_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] >= 400:
                    metrics.event_rejected(reason(message["status"]))
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception:
            if not started:  # the outermost handler answers it with a 500
                metrics.event_rejected("error")
            raise


def _ingests(scope: Scope) -> bool:
    return bool(scope["method"] == "POST" and scope["path"].startswith(EVENT_PATHS))


def reason(status: int) -> str:
    if status >= 500:
        return REASONS.get(status, "error")
    return REASONS.get(status, "other")
