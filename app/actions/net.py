"""The one outbound HTTP client connectors share."""

import httpx

from app.settings import Settings


def http_client(settings: Settings) -> httpx.AsyncClient:
    """A client for connectors; per-call timeouts come from the step's own limit."""
    return httpx.AsyncClient(timeout=settings.action_timeout, follow_redirects=False)
