"""Shared fixtures: a real Redis server for the session, real SQLite files, the real app."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from app.actions.registry import Registry
from app.clock import Clock
from app.engine.walk.jobs import stop_gracefully
from app.main import create_app
from app.models.tenant import Role
from app.redis_server import LocalRedisServer
from app.resources import Resources
from app.settings import Settings
from app.store.protocol import Store
from app.tenancy import issue_key
from app.worker import create_worker
from tests.clock import ShiftedClock
from tests.mailbox import SmtpServer

SEEDS = Path(__file__).parent.parent / "examples" / "workflows"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedisServer]:
    with session_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


def session_redis(directory: Path) -> LocalRedisServer:
    """The session's Redis server, on a unix socket in its own directory: a port picked free
    could be taken by another process before the server binds it. It ends with this
    process, so a killed xdist worker leaves none running."""
    return LocalRedisServer(directory, persistent=False, dies_with_parent=True)


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on 127.0.0.1, not ``localhost`` (which may mean ::1): tests send
    traffic only to 127.0.0.0/8 and allow-list exactly this address."""
    return ("127.0.0.1", 0)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port of 127.0.0.1 that refuses connections throughout the test: bound here and not
    listening, so no other process can listen there meanwhile (one could on a port that
    ``free_port()`` gave back)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: LocalRedisServer) -> str:
    """A database of the session's Redis, flushed before each test."""
    return flushed(redis_server)


def flushed(redis_server: LocalRedisServer) -> str:
    """The URL of the session's Redis, emptied first."""
    url = redis_server.url
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def settings(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return clean_settings(tmp_path, redis_url, monkeypatch)


def clean_settings(data_dir: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The defaults over ``data_dir`` and ``redis_url``, whatever AUTOMATOR_* this process
    was started with (removed while ``monkeypatch`` holds)."""
    for name in list(os.environ):
        if name.startswith("AUTOMATOR_"):
            monkeypatch.delenv(name)
    return Settings(data_dir=data_dir, redis_url=redis_url, _env_file=None)


@pytest.fixture
def clock() -> ShiftedClock:
    """The clock of the test's app and of the workers given it: a test moves it forward
    instead of sleeping."""
    return ShiftedClock()


@pytest.fixture
async def app_resources(
    settings: Settings, clock: ShiftedClock
) -> AsyncIterator[tuple[httpx.AsyncClient, Resources]]:
    async with serving(settings, clock) as served:
        yield served


@asynccontextmanager
async def serving(
    settings: Settings, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, Resources]]:
    """The real app, started, and a client that calls it in this process."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://automator") as client:
            yield client, app.state.resources


@pytest.fixture
def resources(app_resources: tuple[httpx.AsyncClient, Resources]) -> Resources:
    return app_resources[1]


async def key_for(resources: Resources, tenant: str, role: Role) -> str:
    return (await issue_key(resources.store, resources.clock, tenant, role)).secret


async def auth_for(resources: Resources, tenant: str, role: Role) -> dict[str, str]:
    """Request headers that authenticate as a new key with ``role`` in ``tenant``."""
    return {"Authorization": f"Bearer {await key_for(resources, tenant, role)}"}


@pytest.fixture
async def client(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> httpx.AsyncClient:
    """An API client authenticated as an admin of tenant ``acme``."""
    return await as_admin(*app_resources)


async def as_admin(client: httpx.AsyncClient, resources: Resources) -> httpx.AsyncClient:
    """``client``, authenticated as a new admin key of tenant ``acme``."""
    client.headers["Authorization"] = f"Bearer {await key_for(resources, 'acme', Role.ADMIN)}"
    return client


async def drain(
    settings: Settings,
    registry: Registry | None = None,
    clock: Clock | None = None,
    store: Store | None = None,
) -> None:
    """Run a real arq worker until no job is left, deferred ones included; it reads ``clock``
    (the test's app's, to move time for both) or the system's, and ``store`` (a test's
    wrapper of the real one) or its own."""
    worker = create_worker(
        settings,
        registry,
        clock=clock,
        store=store,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()


@asynccontextmanager
async def worker_running(
    settings: Settings,
    registry: Registry | None = None,
    poll_delay: float = 0.01,
    clock: Clock | None = None,
) -> AsyncIterator[None]:
    """A real arq worker polling in the background for the duration of the block; jobs it
    has started when the block ends are finished, not cut short. It reads ``clock``, or the
    system's."""
    worker = create_worker(
        settings, registry, poll_delay=poll_delay, clock=clock, handle_signals=False
    )
    running = asyncio.create_task(worker.async_run())
    try:
        yield
    finally:
        await stop_gracefully(worker, running)


async def send(client: httpx.AsyncClient, event: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/events", json=event)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body
