"""Step contexts of channel steps (the ``http`` client is in tests/actions/conftest.py)."""

from collections.abc import Mapping
from typing import Any

import httpx

from app.actions.base import ActionContext, Message, Services
from app.actions.breaker import Breaker, LocalBreaker
from tests.actions.conftest import LOCAL_HOSTS

__all__ = ["LOCAL_HOSTS", "step"]


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
