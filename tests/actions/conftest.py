"""A connector HTTP client allowed to reach the local test servers."""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.actions.net import http_client
from app.settings import Settings

LOCAL_HOSTS = ["127.0.0.1", "localhost"]


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The connectors' shared client, with the test servers' host allow-listed."""
    allowed = settings.model_copy(update={"http_allowed_hosts": LOCAL_HOSTS})
    async with http_client(allowed) as client:
        yield client
