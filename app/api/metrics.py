"""``GET /metrics`` for Prometheus, and the count of refused event requests."""

import asyncio
import ipaddress
import logging
import math

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.api.bodies import JsonRoute
from app.api.deps import ResourcesDep
from app.api.errors import ErrorBody
from app.api.tokens import matches
from app.errors import Unauthenticated
from app.resources import Resources
from app.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"], route_class=JsonRoute)
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
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"},
        401: {
            "model": ErrorBody,
            "description": "AUTOMATOR_METRICS_TOKEN is set and the request does not carry it",
        },
    },
)
async def scrape(request: Request, resources: ResourcesDep) -> Response:
    """Prometheus metrics of this process (in `automator dev`, of the worker and scheduler
    too). Labels name tenants and workflows: with AUTOMATOR_METRICS_TOKEN set it answers
    only `Authorization: Bearer <that token>` (401 otherwise); unset, serve it to your
    monitoring network only."""
    _require_token(resources.settings, request.headers.get("authorization", ""))
    await gauges.refresh(resources)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _require_token(settings: Settings, authorization: str) -> None:
    """Unauthenticated unless ``authorization`` carries AUTOMATOR_METRICS_TOKEN (if set),
    compared in constant time so that timing tells nothing of it."""
    if settings.metrics_token is None:
        return
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not matches(settings.metrics_token, given.strip()):
        raise Unauthenticated(
            "Send the metrics token: `Authorization: Bearer <AUTOMATOR_METRICS_TOKEN>` "
            "(Prometheus: `authorization: credentials_file` in the scrape config)."
        )


def warn_of_open_metrics(settings: Settings, port: int | None) -> None:
    """At the start of `automator dev`, `api`, `worker` or `scheduler`: a warning when /metrics,
    whose labels name tenants and workflows, is open on ``port`` (None: not served) to
    whoever reaches an address other than loopback."""
    if port is None or settings.metrics_token is not None or _loopback(settings.host):
        return
    log.warning(
        "AUTOMATOR_METRICS_TOKEN is not set: /metrics on %s:%s answers anyone who reaches it, "
        "and its labels name tenants and workflows. Set AUTOMATOR_METRICS_TOKEN (and give "
        "Prometheus the token), or serve the port to your monitoring network only.",
        settings.host,
        port,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


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
