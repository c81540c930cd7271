"""The outbound client's HTTP/1.1 exchanges, its one pool of connections (what
``webhook_call`` sends through ``ConnectorClient.exchange``, and every other connector's
request through httpx): the request written whole on a guarded connection, its answer parsed
by httptools (llhttp, in C) as it arrives, in the connection's own callback
(``sockets.LoopStream.take``: the call waits once, for the whole answer), the connection
kept for the next request to the same origin.

httpcore's pool and connection did the same in Python: an anyio lock and events per request
(each asking sniffio which library runs), h11's state machine for every part of the
exchange, the pool reconsidering its connections as each request starts and ends. With a
worker's calls in flight that was about 300 µs of CPU per call; this is about a fifth of it
(bench/README.md). The connections are the same ones (``GuardedBackend``'s: every address
judged by the guard, the loop's own transports, TLS with the client's context), the limits
the client's (connections open, idle ones kept for the keep-alive expiry after their last
answer), and so are the failures: httpcore's exceptions, which the caller maps to httpx's.

The answer to a HEAD request ends with its headers, and its connection is not reused:
httptools cannot be told that the body such an answer announces is not coming.
"""

import asyncio
import re
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import NoReturn, Protocol, cast

import httpcore
import httptools

from app.actions.sockets import LoopStream

# scheme, host, port
Origin = tuple[str, str, int]
# Bytes asked of the connection per read.
READ_SIZE = 64 * 1024
# Seconds between looks at every idle connection for expiry: one past its keep-alive is
# never reused (it is checked as a request would take it), and its socket is closed within
# this.
SWEEP = 1.0
# What a request line and a header may be on the wire (h11 checks the same): a token for the
# method and a header's name; a value without line breaks or NULs, which would end it early
# and smuggle a header or a request in.
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
HEADER_VALUE = re.compile(rb"[^\r\n\x00]*")
# A header's line as ``header_lines`` checks it, and the blanks trimmed from either end of
# its value (a name holds none).
LINE = "{0[0]}\x00{0[1]}\n".format
VALUE_START = re.compile(rb"\x00[ \t]+")
VALUE_END = re.compile(rb"[ \t]+\n")
INFORMATIONAL = range(100, 200)


class Body(Protocol):
    """Where an answer's body goes as it arrives (``net.Bounded``, ``net.Inflow``)."""

    def add(self, chunk: bytes) -> object: ...

    def end(self) -> bytes: ...


# Given the answer's headers (names as sent), what takes its body; None: the body is kept
# as it comes (its length is known, and within what the caller takes).
BodyOf = Callable[[list[tuple[bytes, bytes]]], Body | None]


# An answer's status and its body, whole (its headers went to ``body_of``).
Reply = tuple[int, bytes]


def request_head(method: str, target: bytes, headers: Sequence[tuple[str, str]]) -> bytes:
    """The request line and headers as they go on the wire; refuses a method or a header
    that could not (``httpcore.LocalProtocolError``, as h11 refuses them)."""
    raw_method = method.encode("ascii", "replace")  # a character replaced is no token's
    if not TOKEN.fullmatch(raw_method):
        raise httpcore.LocalProtocolError(f"the method {method!r} cannot go on the wire")
    return b"%s %s HTTP/1.1\r\n%s\r\n" % (raw_method, target, header_lines(headers))


def header_lines(headers: Sequence[tuple[str, str]]) -> bytes:
    """``headers`` as they go on the wire, a line each, their values trimmed; refuses one
    that could not."""
    # Each name a token, checked once per name (a call's own headers are the same few every
    # time); the values checked whole by counting in C: with one NUL and one line break per
    # line, and no CR anywhere, no value holds a NUL or a line break. Counted, not searched
    # for (``in`` on bytes first tries its operand as an integer, and fails), and trimmed
    # only when a blank is there to trim: a regular expression over the block and the two
    # substitutions took about half a call's instructions here (bench/README.md).
    try:
        block = "".join(map(LINE, headers)).encode("ascii")
    except UnicodeEncodeError:
        _refuse(headers)
    lines = len(headers)
    if block.count(b"\n") != lines or block.count(b"\x00") != lines or block.count(b"\r"):
        _refuse(headers)
    for name, _ in headers:
        if not _token(name):
            _refuse(headers)
    if block.count(b" ") or block.count(b"\t"):
        block = VALUE_END.sub(b"\n", VALUE_START.sub(b"\x00", block))
    return block.replace(b"\x00", b": ").replace(b"\n", b"\r\n")


@lru_cache(maxsize=1024)
def _token(name: str) -> bool:
    """Whether ``name`` (ASCII) can be a header's name on the wire."""
    return TOKEN.fullmatch(name.encode("ascii")) is not None


def _refuse(headers: Sequence[tuple[str, str]]) -> NoReturn:
    """Raise for the first header that cannot go on the wire, naming it."""
    for name, value in headers:
        raw_name, raw_value = _wire(name, "name"), _wire(value, "value")
        if not TOKEN.fullmatch(raw_name) or not HEADER_VALUE.fullmatch(raw_value):
            raise httpcore.LocalProtocolError(f"header {name!r} cannot go on the wire")
    raise AssertionError("every header can go on the wire")


def _wire(text: str, what: str) -> bytes:
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        raise httpcore.LocalProtocolError(f"a header {what} must be ASCII") from None


class _Answer:
    """httptools' callbacks: what the answer has said so far, and where its body goes
    (``body_of``, given the final answer's headers). A 1xx (100 Continue, 103 Early Hints)
    is dropped as it completes: the final answer follows it. Whatever a read brings after
    the answer (a stray second one) is not the answer's: it only marks the connection as
    not to be reused. ``bodiless``: the answer to a HEAD request, complete with its headers.

    One per connection, made ready for each answer (``expect``): the parser goes on past an
    answer the connection is reused after (whole, kept alive, nothing after it), as a
    server's parser goes on to the next request. It is the connection's ``Sink`` while the
    exchange reads (``sockets.LoopStream.take``)."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.expect(bodiless=False, body_of=_unread)

    def expect(self, *, bodiless: bool, body_of: BodyOf) -> None:
        """Ready for the answer to the next request."""
        self.bodiless = bodiless
        self.body_of = body_of
        self.body: Body | None = None
        self.given = False  # the final answer's headers were given to ``body_of``
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.headed = False  # the final answer's headers are complete
        self.complete = False
        self.trailing = False  # bytes came after the answer: the connection is not reused
        self.keep_alive = False  # as llhttp says while the answer completes (not after)
        self._informational = False

    def on_message_begin(self) -> None:
        if self.complete:
            self.trailing = True

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.complete:
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.complete:
            return
        self.status = self.parser.get_status_code()
        self._informational = self.status in INFORMATIONAL and self.status != 101
        self.headed = not self._informational
        if self.headed and self.bodiless:  # the parser would wait for the body announced
            self.complete = self.trailing = True

    def on_body(self, body: bytes) -> None:
        if not self.complete:
            self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.complete:
            return
        if self._informational:
            self.headers, self._informational = [], False
            return
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()

    def feed(self, data: bytes) -> bool:
        """Parse ``data``, its body's pieces handed on; whether the answer is whole."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            raise httpcore.RemoteProtocolError("the server switched protocols") from None
        except httptools.HttpParserError as exc:
            if not self.complete:  # bytes after a whole answer: it stands, the connection goes
                raise httpcore.RemoteProtocolError(f"the answer is not HTTP/1.1: {exc}") from None
            self.trailing = True
        if self.headed and not self.given:
            self.body, self.given = self.body_of(self.headers), True
        if self.body is not None and self.chunks:
            self._hand_on(self.body)
        return self.complete

    def closed(self) -> None:
        """The server closed the connection: whole if its body runs until then (no length,
        not chunked)."""
        names = {name.lower() for name, _ in self.headers}
        if not self.headed or {b"content-length", b"transfer-encoding"} & names:
            raise httpcore.RemoteProtocolError("Server disconnected without sending a response.")
        self.complete = self.trailing = True
        if not self.given:
            self.body, self.given = self.body_of(self.headers), True
        if self.body is not None:
            self._hand_on(self.body)

    def _hand_on(self, body: Body) -> None:
        for chunk in self.chunks:
            body.add(chunk)
        self.chunks.clear()

    def reply(self) -> Reply:
        """The answer's status and its body, whole."""
        return self.status, b"".join(self.chunks) if self.body is None else self.body.end()


def _unread(headers: list[tuple[bytes, bytes]]) -> None:
    """The ``body_of`` of a connection before its first exchange."""


class _Connection:
    """One guarded connection to an origin, an exchange at a time."""

    def __init__(self, origin: Origin, stream: LoopStream) -> None:
        self.origin = origin
        self.stream = stream
        self.idle_until = 0.0  # time.monotonic() past which it is not reused
        self._answer = _Answer()

    def usable(self, now: float) -> bool:
        """Within its keep-alive, and the server has neither closed it nor sent anything
        (its socket polled once, as httpcore does before reusing a connection)."""
        return now < self.idle_until and not self.stream.readable()

    async def exchange(
        self, request: bytes, timeouts: Mapping[str, float | None], body_of: BodyOf
    ) -> tuple[Reply, bool]:
        """The answer to ``request``, and whether the connection may carry another."""
        answer = self._answer
        answer.expect(bodiless=request.startswith(b"HEAD "), body_of=body_of)  # our line
        try:
            await self.stream.write(request, timeouts.get("write"))
        except httpcore.WriteError as unsent:
            # A server may answer before the body is all sent (413, 401) and close: that
            # answer is the call's, as httpcore, h11 and curl read it. The connection is not
            # reused; with no whole answer, the call failed sending.
            try:
                await self.stream.take(answer, timeouts.get("read"))
            except (httpcore.ReadError, httpcore.RemoteProtocolError):
                raise unsent from None
            return answer.reply(), False
        await self.stream.take(answer, timeouts.get("read"))
        return answer.reply(), answer.keep_alive and not answer.trailing


class Exchanges:
    """The HTTP/1.1 exchanges of one client: its connections, at most ``max_connections``
    open, the idle ones reused newest first and kept ``keepalive_expiry`` seconds after their
    last answer."""

    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        ssl_context: ssl.SSLContext,
        max_connections: int,
        keepalive_expiry: float,
    ) -> None:
        self._backend = backend
        self._ssl = ssl_context
        self._ssl.set_alpn_protocols(["http/1.1"])  # as httpcore asks: this client speaks no h2
        self._max = max_connections
        self._expiry = keepalive_expiry
        self._open = 0  # connections open, in use or idle
        # Idle connections by origin, the one that fell idle last at the end.
        self._idle: dict[Origin, list[_Connection]] = {}
        self._waiting: deque[asyncio.Future[None]] = deque()  # for a connection to open
        self._next_sweep = 0.0

    async def exchange(
        self,
        origin: Origin,
        request: bytes,
        timeouts: Mapping[str, float | None],
        body_of: BodyOf,
    ) -> Reply:
        """Send ``request`` (its head and body, whole) to ``origin`` and read the answer."""
        connection = self._reused(origin) or await self._connection(origin, timeouts)
        try:
            reply, reusable = await connection.exchange(request, timeouts, body_of)
        except BaseException:  # failed, timed out or cancelled mid-exchange: never reused
            await self._close(connection)
            raise
        if reusable:
            connection.idle_until = time.monotonic() + self._expiry
            self._idle.setdefault(origin, []).append(connection)
            if self._waiting:
                self._wake()
        else:
            await self._close(connection)
        if time.monotonic() >= self._next_sweep:
            await self._sweep()
        return reply

    def _reused(self, origin: Origin) -> _Connection | None:
        """The idle connection to ``origin`` that fell idle last, taken, when it is usable
        (else ``_connection`` looks further)."""
        idle = self._idle.get(origin)
        if not idle or not idle[-1].usable(time.monotonic()):
            return None
        connection = idle.pop()
        if not idle:  # as ``_forget_if_empty``
            del self._idle[origin]
        return connection

    async def _connection(
        self, origin: Origin, timeouts: Mapping[str, float | None]
    ) -> _Connection:
        """An idle connection to ``origin`` still usable, else a new one once there is
        room (an idle one to another origin closed for it, or one closed meanwhile)."""
        while True:
            idle, now = self._idle.get(origin), time.monotonic()
            while idle:
                connection = idle.pop()
                self._forget_if_empty(origin, idle)
                if connection.usable(now):
                    return connection
                await self._close(connection)
            if self._open < self._max:
                break
            stale = self._least_recent()  # to another origin: this one's are all taken
            if stale is not None:
                await self._close(stale)
            else:  # every connection is in use: wait for one to fall idle or close
                await self._wait(timeouts.get("pool"))
        self._open += 1
        try:
            stream = await self._connect(origin, timeouts.get("connect"))
        except BaseException:
            self._open -= 1
            self._wake()
            raise
        return _Connection(origin, stream)

    async def _connect(self, origin: Origin, timeout: float | None) -> LoopStream:  # noqa: ASYNC109 - httpcore's per-operation timeouts
        scheme, host, port = origin
        stream = await self._backend.connect_tcp(host, port, timeout=timeout)
        if scheme == "https":
            stream = await stream.start_tls(self._ssl, server_hostname=host, timeout=timeout)
        # The backend's connections are the loop's own (GuardedBackend over LoopBackend),
        # whose answers are parsed as they arrive.
        return cast(LoopStream, stream)

    def _least_recent(self) -> _Connection | None:
        """The idle connection that fell idle first, taken out of the idle ones."""
        oldest: tuple[Origin, list[_Connection]] | None = None
        for origin, idle in self._idle.items():
            if oldest is None or idle[0].idle_until < oldest[1][0].idle_until:
                oldest = origin, idle
        if oldest is None:
            return None
        origin, idle = oldest
        connection = idle.pop(0)
        self._forget_if_empty(origin, idle)
        return connection

    def _forget_if_empty(self, origin: Origin, idle: list[_Connection]) -> None:
        """Drop ``origin``'s entry once its idle connections are all taken: a process
        calling a new origin per run (a URL templated per event) would keep one per origin
        forever. Lists change in place, so an empty one is the origin's entry or none."""
        if not idle and self._idle.get(origin) is idle:
            del self._idle[origin]

    async def _wait(self, timeout: float | None) -> None:  # noqa: ASYNC109 - httpcore's pool timeout
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Woken, then cancelled or timed out: the room goes to the next one waiting.
                self._wake()
            if isinstance(exc, TimeoutError):
                raise httpcore.PoolTimeout(f"no connection free within {timeout} s") from None
            raise
        finally:
            if waiter in self._waiting:
                self._waiting.remove(waiter)

    def _wake(self) -> None:
        """A connection fell idle or closed: the first caller waiting for room looks again."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _close(self, connection: _Connection) -> None:
        self._open -= 1
        self._wake()
        await connection.stream.aclose()

    async def _sweep(self) -> None:
        """Close the idle connections past their keep-alive (asked at most once every SWEEP s)."""
        now = time.monotonic()
        self._next_sweep = now + SWEEP
        for origin, idle in list(self._idle.items()):
            expired = [connection for connection in idle if connection.idle_until <= now]
            if not expired:
                continue
            idle[:] = [connection for connection in idle if connection.idle_until > now]
            self._forget_if_empty(origin, idle)
            for connection in expired:
                await self._close(connection)

    async def aclose(self) -> None:
        """Close every idle connection."""
        idle = [connection for connections in self._idle.values() for connection in connections]
        self._idle.clear()
        for connection in idle:
            await self._close(connection)
