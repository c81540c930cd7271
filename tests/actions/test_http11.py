"""The webhook calls' HTTP/1.1 exchanges (``ConnectorClient.exchange`` over
``app/actions/http11.py``): answers framed every way a server may frame them arrive whole,
connections are reused only when the answer allows it and never after a call that failed
or was cancelled mid-way, the connection limit holds, TLS checks the name, and a header
that could break the request never goes out. Real servers on 127.0.0.1 that write the
answers byte for byte."""

import asyncio
import gc
import gzip
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpcore
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.actions.http11 import HEADER_VALUE, TOKEN, Exchanges, header_lines
from app.actions.net import ConnectorClient, Outgoing, Target, http_client
from app.settings import Settings
from tests.actions.test_sockets import certificate, tls_server_side


class Scripted:
    """A server answering each request with the next of ``answers`` (the last one again
    once they run out), closing the connection after the answer when ``close`` says."""

    def __init__(self, *answers: bytes, close: bool = False) -> None:
        self.answers = list(answers)
        self.close = close
        self.accepted = 0
        self.requests: list[bytes] = []
        self.url = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.lower().split(b"\r\n")
                        if line.startswith(b"content-length:")
                    ),
                    0,
                )
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                writer.write(answer)
                await writer.drain()
                if self.close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes = b"{}", *extra: bytes) -> bytes:
    headers = b"".join(header + b"\r\n" for header in extra)
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), headers, body)


@pytest.fixture
async def client() -> AsyncIterator[ConnectorClient]:
    async with http_client(Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"])) as made:
        yield made


async def listening(server: Scripted, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    started = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=tls)
    scheme = "https" if tls else "http"
    server.url = f"{scheme}://127.0.0.1:{started.sockets[0].getsockname()[1]}/hook?a=1"
    return started


def at_most(client: ConnectorClient, connections: int) -> Exchanges:
    """Exchanges on the client's guarded connections, at most `connections` open at once."""
    backend = client._guarded.exchanges._backend
    return Exchanges(backend, ssl.create_default_context(), connections, 5.0)


def post(url: str, body: bytes = b'{"n":1}', method: str = "POST") -> Outgoing:
    return Outgoing(
        method, Target.of(httpx.URL(url)), (("Content-Type", "application/json"),), body
    )


async def test_calls_one_after_another_share_one_connection(client: ConnectorClient) -> None:
    server = Scripted(ok(b'{"a":1}', b"content-type: application/json"))
    async with await listening(server):
        answers = [await client.exchange(post(server.url)) for _ in range(3)]
    assert server.accepted == 1
    assert {(a.status_code, a.content, a.headers["content-type"]) for a in answers} == {
        (200, b'{"a":1}', "application/json")
    }
    first = server.requests[0]
    assert first.startswith(b"POST /hook?a=1 HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 7\r\n" in first
    assert first.endswith(b'\r\n\r\n{"n":1}')


async def test_answers_on_one_connection_each_hold_only_their_own(
    client: ConnectorClient,
) -> None:
    chunked = b"HTTP/1.1 201 Created\r\nx-second: 2\r\ntransfer-encoding: chunked\r\n\r\n"
    server = Scripted(
        b"HTTP/1.1 100 Continue\r\nx-early: 0\r\n\r\n" + ok(b"first", b"x-first: 1"),
        chunked + b"6\r\nsecond\r\n0\r\n\r\n",
        ok(b""),
    )
    async with await listening(server):
        answers = [await client.exchange(post(server.url)) for _ in range(3)]
    seen = [(a.status_code, a.content, sorted(a.headers)) for a in answers]
    assert seen == [
        (200, b"first", ["content-length", "x-first"]),
        (201, b"second", ["transfer-encoding", "x-second"]),
        (200, b"", ["content-length"]),
    ]
    assert server.accepted == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"abcdef"),
        b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" + ok(b"abcdef"),
        ok(gzip.compress(b"abcdef"), b"content-encoding: gzip"),
    ],
    ids=["chunked", "100-continue", "early-hints", "gzip"],
)
async def test_an_answer_framed_any_way_arrives_whole(
    client: ConnectorClient, answer: bytes
) -> None:
    server = Scripted(answer)
    async with await listening(server):
        first = await client.exchange(post(server.url))
        again = await client.exchange(post(server.url))
    assert first.content == again.content == b"abcdef"
    assert "content-encoding" not in first.headers
    assert "link" not in first.headers  # the 1xx's headers are not the answer's
    assert server.accepted == 1


async def test_an_answer_ended_by_closing_arrives_whole_and_its_connection_goes(
    client: ConnectorClient,
) -> None:
    server = Scripted(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", close=True)
    async with await listening(server):
        answers = [await client.exchange(post(server.url)) for _ in range(2)]
    assert [a.content for a in answers] == [b"until the end"] * 2
    assert server.accepted == 2


@pytest.mark.parametrize(
    "answer",
    [ok(b"{}", b"connection: close"), ok(b"{}") + b"HTTP/1.1 200 OK\r\n"],
    ids=["connection-close", "bytes-after-the-answer"],
)
async def test_a_connection_the_answer_does_not_leave_reusable_is_not_reused(
    client: ConnectorClient, answer: bytes
) -> None:
    server = Scripted(answer)
    async with await listening(server):
        for _ in range(2):
            assert (await client.exchange(post(server.url))).content == b"{}"
    assert server.accepted == 2


async def test_a_second_answer_in_the_same_read_is_not_taken_for_the_first(
    client: ConnectorClient,
) -> None:
    stray = b"HTTP/1.1 500 Oops\r\nx-stray: 1\r\ncontent-length: 3\r\n\r\nbad"
    server = Scripted(ok(b"{}") + stray, ok(b"{}"))
    async with await listening(server):
        first = await client.exchange(post(server.url))
        again = await client.exchange(post(server.url))
    assert (first.status_code, first.content, "x-stray" in first.headers) == (200, b"{}", False)
    assert again.content == b"{}"
    assert server.accepted == 2  # the stray answer's connection was not reused


async def test_a_request_line_or_url_that_cannot_go_out_fails_the_call_unsent(
    client: ConnectorClient,
) -> None:
    server = Scripted(ok())
    async with await listening(server):
        smuggling = post(server.url, method="GET / HTTP/1.1\r\nX-In: 1\r\n\r\nPOST")
        with pytest.raises(httpx.LocalProtocolError):
            await client.exchange(smuggling)
        with pytest.raises(httpx.UnsupportedProtocol):  # a redirect's Location may say so
            await client.exchange(post(server.url.replace("http", "ftp", 1)))
    assert server.requests == []


async def test_a_head_answer_announcing_a_body_completes(client: ConnectorClient) -> None:
    server = Scripted(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
    async with await listening(server):
        answer = await client.exchange(post(server.url, b"", "HEAD"))
    assert (answer.status_code, answer.content) == (200, b"")


async def test_a_server_hanging_up_mid_answer_fails_the_call(client: ConnectorClient) -> None:
    server = Scripted(ok(b"x" * 100)[:-50], close=True)
    async with await listening(server):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.exchange(post(server.url))


class Impatient:
    """A server that reads a request's head only, answers ``answer`` (nothing when empty)
    and closes the connection with the body still unread, as a proxy refusing a body too
    large does: the client's writing of the rest fails (a reset)."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.accepted = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(self.answer)
        await writer.drain()
        writer.close()


# Larger than the socket buffers on both sides: its writing is still under way at the close.
LARGE = "x" * 16_000_000


async def test_an_answer_before_the_body_is_sent_is_the_calls(client: ConnectorClient) -> None:
    server = Impatient(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 9\r\n\r\ntoo large")
    started = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{started.sockets[0].getsockname()[1]}/hook"
    async with started:
        answers = [await client.exchange(post(url, LARGE.encode())) for _ in range(2)]
    assert [(a.status_code, a.content) for a in answers] == [(413, b"too large")] * 2
    assert server.accepted == 2  # its connection was not reused, though the answer allowed it


async def test_a_server_closing_before_the_body_is_sent_without_answering_fails_the_call(
    client: ConnectorClient,
) -> None:
    server = Impatient(b"")
    started = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{started.sockets[0].getsockname()[1]}/hook"
    async with started:
        with pytest.raises(httpx.WriteError):
            await client.exchange(post(url, LARGE.encode()))


async def test_a_call_cancelled_or_timed_out_mid_way_leaves_no_connection_behind(
    client: ConnectorClient,
) -> None:
    server = Scripted(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345")  # never ends
    # A full collection of this process's heap takes up to 0.4 s: made now, none falls
    # within the second the first call has to connect in, as a loaded machine may need
    # (given 0.1 s, it failed to connect one time in thirty beside three busy loops).
    gc.collect()
    async with await listening(server):
        with pytest.raises(httpx.ReadTimeout):
            await client.exchange(post(server.url), timeout=1)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1):  # connected by then: the read is cut short
                await client.exchange(post(server.url))
        server.answers = [ok()]
        assert (await client.exchange(post(server.url))).content == b"{}"
    # Each call that did not end well closed its connection: the last one opened its own.
    assert server.accepted == 3


async def test_calls_past_the_connection_limit_wait_for_a_connection(
    client: ConnectorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client._guarded, "exchanges", at_most(client, 2))
    server = Scripted(ok())
    async with await listening(server):
        answers = await asyncio.gather(*(client.exchange(post(server.url)) for _ in range(10)))
    assert [a.content for a in answers] == [b"{}"] * 10
    assert server.accepted == 2


async def test_a_call_waiting_past_the_pool_timeout_fails(
    client: ConnectorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client._guarded, "exchanges", at_most(client, 1))
    server = Scripted(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345")  # never ends
    async with await listening(server):
        # Held past the test: with a timeout of 1 s, a stall of the process that long let its
        # read time out and give its room to the call below, which then read no answer.
        holding = asyncio.create_task(client.exchange(post(server.url), timeout=60))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await client.exchange(post(server.url), timeout=0.1)
        holding.cancel()


async def test_room_given_to_a_call_as_it_times_out_goes_to_the_next_one(
    client: ConnectorClient,
) -> None:
    exchanges = at_most(client, 1)
    late = asyncio.create_task(exchanges._wait(0))  # its pool timeout falls due at once
    patient = asyncio.create_task(exchanges._wait(2))
    await asyncio.sleep(0)  # both wait for room
    exchanges._wake()  # a connection closed, waking the first: it times out all the same
    with pytest.raises(httpcore.PoolTimeout):
        await late
    async with asyncio.timeout(1):  # the room went on to the next call waiting
        await patient


async def test_a_header_that_would_break_the_request_never_goes_out(
    client: ConnectorClient,
) -> None:
    server = Scripted(ok())
    async with await listening(server):
        smuggling = Outgoing(
            "POST", Target.of(httpx.URL(server.url)), (("X-A", "1\r\nX-B: 2"),), b"{}"
        )
        with pytest.raises(httpx.LocalProtocolError):
            await client.exchange(smuggling)
    assert server.requests == []


async def test_tls_answers_and_checks_the_certificate_against_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_side = tls_server_side(*certificate(tmp_path), monkeypatch)
    good, wrong = Scripted(ok(b"secret")), Scripted(ok(b"secret"))
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    elsewhere.load_cert_chain(*certificate(other, "example.test"))
    settings = Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"])
    async with (
        await listening(good, server_side),
        await listening(wrong, elsewhere),
        http_client(settings) as client,
    ):
        assert (await client.exchange(post(good.url))).content == b"secret"
        with pytest.raises(httpx.ConnectError):
            await client.exchange(post(wrong.url))
    assert wrong.requests == []


async def test_origins_called_once_each_leave_nothing_kept(
    client: ConnectorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL per run (a host or port templated from the event) must not grow the pool:
    once an origin's idle connections are gone, so is its entry."""
    exchanges = at_most(client, 1)  # each new origin closes the last one's idle connection
    monkeypatch.setattr(client._guarded, "exchanges", exchanges)
    for server in [Scripted(ok()) for _ in range(12)]:
        async with await listening(server):
            assert (await client.exchange(post(server.url))).content == b"{}"
    assert len(exchanges._idle) == 1  # the last origin's connection, idle
    await exchanges.aclose()


def _one_by_one(headers: list[tuple[str, str]]) -> bytes:
    """``header_lines`` as the checks of each header alone (``_refuse``'s) make it: a token
    for the name, a value without CR, LF or NUL, its blanks trimmed at either end."""
    lines = []
    for name, value in headers:
        raw_name, raw_value = name.encode("ascii"), value.encode("ascii")
        if not TOKEN.fullmatch(raw_name) or not HEADER_VALUE.fullmatch(raw_value):
            raise httpcore.LocalProtocolError(f"header {name!r} cannot go on the wire")
        lines.append(b"%s: %s\r\n" % (raw_name, raw_value.strip(b" \t")))
    return b"".join(lines)


# Names and values from the characters that matter on the wire: token characters, blanks,
# separators, CR, LF, NUL and a character outside ASCII.
_WIRE = st.text(alphabet="aZ09-_!~ \t:;\r\n\x00\u00e9", max_size=8)


@given(headers=st.lists(st.tuples(_WIRE, _WIRE), max_size=4))
@settings(max_examples=500, deadline=None)
def test_header_lines_are_each_header_checked_and_trimmed_alone(
    headers: list[tuple[str, str]],
) -> None:
    try:
        expected: bytes | str = _one_by_one(headers)
    except (httpcore.LocalProtocolError, UnicodeEncodeError):
        expected = "refused"
    try:
        made: bytes | str = header_lines(headers)
    except httpcore.LocalProtocolError:
        made = "refused"
    assert made == expected
