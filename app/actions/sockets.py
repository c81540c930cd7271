"""The outbound client's connections, on the event loop's own transports.

httpcore's default backend goes through anyio: each read and write opens a cancel scope for
its timeout, yields to the loop once more, and each read resumes and pauses the transport's
reading; with a worker's calls in flight, that was a fifth of the client's CPU per call
(bench/README.md). Here an exchange's answer goes to its parser as it arrives, in the
protocol's own callback (``LoopStream.take``), and the call waits on a future the protocol
completes once the answer is whole: one wait per call however many pieces the answer comes
in. A write hands the bytes to the transport, waiting only while the transport's buffer is
full. What a server sends outside an exchange (on an idle connection) is kept, to be seen
before the connection is reused, and reading pauses once ``READ_AHEAD`` bytes of it wait, so
a server cannot grow the buffer without bound.

A wait sets no timer of its own when the timeout around the whole call ends it first
(``app.actions.deadline``).
"""

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any, Protocol, cast

import httpcore

from app.actions.deadline import outlasts_call

# Bytes received and not yet read past which the transport stops reading.
READ_AHEAD = 256 * 1024


class Sink(Protocol):
    """What takes a connection's bytes as they arrive, while an exchange reads its answer."""

    def feed(self, data: bytes) -> bool:
        """Take ``data``; whether the answer is whole."""

    def closed(self) -> None:
        """The server closed the connection: the answer is whole now, or this raises."""


class _Protocol(asyncio.Protocol):
    """Hands what the server sends to the sink taking it (an exchange's answer), else keeps
    it; wakes the reader and the writer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.ended = False  # the server closed its side, or the connection is lost
        self.error: Exception | None = None
        self.paused = False  # reading, for READ_AHEAD
        self.reader: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None
        self.sink: Sink | None = None  # taking what arrives, until ``whole``
        self.whole = False
        self.failure: Exception | None = None  # what the sink raised, for its reader
        self.wake_each = False  # the reader is woken by every arrival (it restarts a timer)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        sink = self.sink
        if sink is not None and not self.whole:
            try:
                self.whole = sink.feed(data)
            except Exception as exc:  # the reader raises it
                self.failure, self.whole = exc, True
            reader = self.reader
            if (self.whole or self.wake_each) and reader is not None and not reader.done():
                reader.set_result(None)  # as ``_wake``
            return
        self.received += data  # outside an exchange: seen before the connection is reused
        if len(self.received) > READ_AHEAD and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True

    def eof_received(self) -> bool:
        self.ended = True
        self.end_sink()
        _wake(self.reader)
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended, self.error = True, exc
        self.end_sink()
        _wake(self.reader)
        _wake(self.writable)

    def end_sink(self) -> None:
        """The connection ended: the sink's answer is whole, or has failed."""
        if self.sink is None or self.whole:
            return
        try:
            if self.error is not None:
                raise httpcore.ReadError(str(self.error) or type(self.error).__name__)
            self.sink.closed()
        except Exception as exc:  # the reader raises it
            self.failure = exc
        self.whole = True

    def pause_writing(self) -> None:
        self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self.writable)
        self.writable = None


def _wake(waiter: "asyncio.Future[None] | None") -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


async def _arrival(
    loop: asyncio.AbstractEventLoop,
    reader: "asyncio.Future[None]",
    timeout: float,  # noqa: ASYNC109 - per read
) -> None:
    """Wait for ``reader`` (an arrival) at most ``timeout`` seconds: a loop timer that fails
    the reader with ``httpcore.ReadTimeout``, not ``asyncio.timeout`` (its state machine,
    the task's cancel and its undoing, per read). A cancel from outside cancels the reader
    as before, and the timer goes with it."""
    timer = loop.call_later(timeout, _time_out, reader, timeout)
    try:
        await reader
    finally:
        timer.cancel()


def _time_out(reader: "asyncio.Future[None]", timeout: float) -> None:
    if not reader.done():
        reader.set_exception(httpcore.ReadTimeout(f"no answer within {timeout} s"))


class LoopStream(httpcore.AsyncNetworkStream):
    """One connection, plain or TLS, as httpcore reads and writes it."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._poll: select.poll | None = None  # of its socket, for ``is_readable``

    async def take(self, sink: Sink, timeout: float | None) -> None:  # noqa: ASYNC109 - httpcore's per-read timeout
        """Hand what the connection receives to ``sink`` until its answer is whole, waiting
        at most ``timeout`` seconds each time for bytes (``httpcore.ReadTimeout``); raises
        what the sink raised, or ``httpcore.ReadError`` when the connection broke."""
        protocol = self._protocol
        loop = asyncio.get_running_loop()
        # The read's own timeout, unless the call's ends the read first.
        own = None if timeout is None or outlasts_call(loop, timeout) else timeout
        protocol.sink, protocol.whole, protocol.wake_each = sink, False, own is not None
        try:
            if protocol.received:  # come before the sink (while the request was written)
                early = bytes(protocol.received)
                protocol.received.clear()
                if protocol.paused:
                    protocol.paused = False
                    self._transport.resume_reading()
                protocol.data_received(early)
            if protocol.ended:
                protocol.end_sink()
            while not protocol.whole:
                protocol.reader = loop.create_future()
                if own is not None:
                    await _arrival(loop, protocol.reader, own)
                else:
                    await protocol.reader
            failure, protocol.failure = protocol.failure, None
            if failure is not None:
                raise failure
        finally:
            protocol.sink = protocol.reader = None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 - httpcore's interface
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        writable = self._protocol.writable
        if writable is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(writable)
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send within {timeout} s") from None
        if self._protocol.error is not None:
            raise httpcore.WriteError(str(self._protocol.error))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout} s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        self._protocol.transport = cast(asyncio.Transport, transport)
        return LoopStream(self._protocol.transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self.readable()
        name = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        if name in ("ssl_object", "sockname", "peername", "socket"):
            return self._transport.get_extra_info(name)
        return None

    def readable(self) -> bool:
        """Whether the server has sent anything or closed the connection: bytes or an end
        the loop has handed over, or not yet (the socket polled as httpcore polls it, with one
        poll object per connection rather than one per look)."""
        protocol = self._protocol
        # A transport closing may have closed its socket, and the number been reused.
        if protocol.received or protocol.ended or self._transport.is_closing():
            return True
        if self._poll is None:
            sock = self._transport.get_extra_info("socket")
            if sock is None or sock.fileno() < 0:
                return True
            self._poll = select.poll()
            self._poll.register(sock.fileno(), select.POLLIN)
        return bool(self._poll.poll(0))


class LoopBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections as ``LoopStream``s."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface names it
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol, host, port, local_addr=local
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection within {timeout} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock: socket.socket = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return LoopStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
