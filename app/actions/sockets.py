"""The outbound client's connections, on the event loop's own transports.

httpcore's default backend goes through anyio: each read and write opens a cancel scope for
its timeout, yields to the loop once more, and each read resumes and pauses the transport's
reading; with a worker's calls in flight, that was a fifth of the client's CPU per call
(bench/README.md). Here a read waits on a future the protocol completes, and a write hands
the bytes to the transport, waiting only while the transport's buffer is full. Reading
pauses once ``READ_AHEAD`` bytes wait unread, so a server cannot grow the buffer without
bound.

A read sets no timer of its own when the timeout around the whole call ends it first
(``app.actions.deadline``).
"""

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore

from app.actions.deadline import outlasts_call

# Bytes received and not yet read past which the transport stops reading.
READ_AHEAD = 256 * 1024


class _Protocol(asyncio.Protocol):
    """Keeps what the server sent until it is read, and wakes the reader and the writer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.ended = False  # the server closed its side, or the connection is lost
        self.error: Exception | None = None
        self.paused = False  # reading, for READ_AHEAD
        self.reader: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received += data
        if len(self.received) > READ_AHEAD and self.transport is not None:
            self.transport.pause_reading()
            self.paused = True
        _wake(self.reader)

    def eof_received(self) -> bool:
        self.ended = True
        _wake(self.reader)
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended, self.error = True, exc
        _wake(self.reader)
        _wake(self.writable)

    def pause_writing(self) -> None:
        self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self.writable)
        self.writable = None


def _wake(waiter: "asyncio.Future[None] | None") -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class LoopStream(httpcore.AsyncNetworkStream):
    """One connection, plain or TLS, as httpcore reads and writes it."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._poll: select.poll | None = None  # of its socket, for ``is_readable``

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 - httpcore's interface
        protocol = self._protocol
        if not protocol.received and not protocol.ended:
            loop = asyncio.get_running_loop()
            protocol.reader = loop.create_future()
            try:
                if outlasts_call(loop, timeout):
                    await protocol.reader
                else:
                    async with asyncio.timeout(timeout):
                        await protocol.reader
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no answer within {timeout} s") from None
            finally:
                protocol.reader = None
        if protocol.received:
            data = bytes(protocol.received[:max_bytes])
            del protocol.received[:max_bytes]
            if protocol.paused and len(protocol.received) <= READ_AHEAD:
                protocol.paused = False
                self._transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""  # the server closed the connection

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
            return bool(self._protocol.received) or self._protocol.ended or self._readable()
        name = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        if name in ("ssl_object", "sockname", "peername", "socket"):
            return self._transport.get_extra_info(name)
        return None

    def _readable(self) -> bool:
        """Whether the socket has bytes or an end the loop has not handed over yet, polled as
        httpcore polls it, with one poll object per connection rather than one per look."""
        if self._transport.is_closing():  # its socket may be closed, and its number reused
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
