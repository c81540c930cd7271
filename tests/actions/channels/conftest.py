"""A connector HTTP client allowed to reach the local test servers, and step contexts."""

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from app.actions.base import ActionContext, Message, Services
from app.actions.breaker import Breaker, LocalBreaker
from app.actions.net import http_client
from app.settings import Settings

LOCAL_HOSTS = ["127.0.0.1", "localhost"]


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The connectors' shared client, with the test servers' host allow-listed."""
    allowed = settings.model_copy(update={"http_allowed_hosts": LOCAL_HOSTS})
    async with http_client(allowed) as client:
        yield client


def step(
    http: httpx.AsyncClient,
    config: Mapping[str, Any],
    user: Mapping[str, Any] | None = None,
    message: Message | None = None,
    breaker: Breaker | None = None,
    tenant: str = "acme",
) -> ActionContext:
    """The context the engine gives a channel step of run ``run1``, action ``a1``."""
    return ActionContext(
        tenant_id=tenant,
        run_id="run1",
        step_id="a1",
        idempotency_key="run1:a1:0",
        attempt=1,
        event={"plan": "pro", "user": dict(user or {}), "event": {"type": "user_signup"}},
        config=config,
        message=message,
        services=Services(http=http, breaker=breaker or LocalBreaker()),
    )
