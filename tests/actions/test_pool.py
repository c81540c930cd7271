"""The outbound client's one connection pool (app/actions/http11.py) as httpx's requests
use it: calls in flight together reuse the connections they opened instead of opening new
ones, a connection the server closed, or one idle too long to trust, is replaced rather than
failing a call, and webhook calls and the other connectors' calls share one limit. The
server is a real one on 127.0.0.1 that counts the connections it accepts."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from app.actions import net
from app.actions.net import http_client
from app.settings import Settings

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class CountingServer:
    """An HTTP/1.1 server answering every request with ``{}``, keeping connections open
    unless ``idle_close`` says after how many seconds of silence it closes them."""

    def __init__(self, idle_close: float | None = None) -> None:
        self.accepted = 0
        self.idle_close = idle_close
        self.url = ""
        self.closed = asyncio.Event()  # set when the server has closed a connection

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            while True:
                async with asyncio.timeout(self.idle_close):
                    head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                await reader.readexactly(length)
                writer.write(ANSWER)
                await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.closed.set()


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    listening = await asyncio.start_server(counting.serve, "127.0.0.1", 0)
    counting.url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/hook"
    async with listening:
        yield counting


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    connectors = http_client(Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"]))
    async with connectors:
        yield connectors


async def calls(client: httpx.AsyncClient, url: str, count: int, together: int) -> None:
    limit = asyncio.Semaphore(together)

    async def one(n: int) -> None:
        async with limit:
            answer = await client.post(url, json={"n": n})
            assert answer.json() == {}

    await asyncio.gather(*(one(n) for n in range(count)))


async def test_calls_in_flight_together_keep_their_connections(
    server: CountingServer, client: httpx.AsyncClient
) -> None:
    # With at most 20 idle connections kept (the setting before this pool), 300 such calls
    # opened 90.
    await calls(client, server.url, 300, together=50)
    assert server.accepted <= 50


async def test_a_connection_the_server_closed_is_not_reused(client: httpx.AsyncClient) -> None:
    closing = CountingServer(idle_close=0.5)
    listening = await asyncio.start_server(closing.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/hook"
    async with listening:
        await calls(client, url, 1, together=1)
        # Waited for, not slept on: a loaded machine could let the sleep end first.
        await asyncio.wait_for(closing.closed.wait(), 60)
        await calls(client, url, 1, together=1)
    assert closing.accepted == 2


async def test_a_connection_idle_past_its_keep_alive_is_replaced(
    server: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second between two calls in a row: a loaded machine's stall must not outlast it.
    monkeypatch.setattr(net, "KEEPALIVE_EXPIRY", 1.0)
    async with http_client(Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"])) as client:
        await calls(client, server.url, 2, together=1)
        assert server.accepted == 1
        await asyncio.sleep(1.5)
        await calls(client, server.url, 1, together=1)
    assert server.accepted == 2


class Holding(CountingServer):
    """Answers each request after ``hold`` seconds, counting the connections open at once."""

    def __init__(self, hold: float) -> None:
        super().__init__()
        self.hold = hold
        self.open = self.peak = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            await asyncio.sleep(self.hold)
            await super().serve(reader, writer)
        finally:
            self.open -= 1


async def test_webhook_calls_and_other_calls_share_one_connection_limit() -> None:
    """Twice the worker's concurrency: its walks and the resumes borrowing their room."""
    two = Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"], worker_concurrency=2)
    holding = Holding(hold=0.05)
    listening = await asyncio.start_server(holding.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/hook"
    outgoing = net.Outgoing("POST", net.Target.of(httpx.URL(url)), (), b"{}")
    async with listening, http_client(two) as client:
        # Both kinds in flight together: gather starts its calls at once.
        webhook_calls = asyncio.gather(*(client.exchange(outgoing) for _ in range(6)))
        other_calls = asyncio.gather(*(client.post(url, json={}) for _ in range(6)))
        statuses = [a.status_code for a in await webhook_calls]
        statuses += [r.status_code for r in await other_calls]
    assert statuses == [200] * 12
    assert holding.peak == 4
