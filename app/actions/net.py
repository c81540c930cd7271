"""The one outbound HTTP client connectors share, and how its failures read.

Every connection it opens goes through the address guard (``app.actions.address_guard``): the
client resolves the host itself, judges each address, and connects to the address it
judged. Redirects a caller follows are new requests, so each hop is judged the same way.
Response bodies are bounded after decompression (``AUTOMATOR_HTTP_MAX_RESPONSE_BYTES``).
"""

import asyncio
import math
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpcore
import httpx

from app.actions.address_guard import AllowList, Guard
from app.actions.base import ConnectorError
from app.actions.pool import ReusingPool
from app.actions.sockets import LoopBackend
from app.settings import Settings

USER_AGENT = "Automator"
# Idle connections are kept up to the connection limit (a worker's calls in flight at once
# reuse theirs: app/actions/pool.py), for 1.5 s after their last answer was read: servers close
# idle connections after a few seconds (uvicorn, Node and Apache after 5, gunicorn after 2),
# and one closing as a request goes out fails that request; a busy process reads answers late.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=1.5)
INFLATED = frozenset({"gzip", "x-gzip", "deflate"})
MAX_RETRY_AFTER = 3600.0  # seconds; a longer wait asked for by a server is cut to this
ERROR_BODY_CHARS = 500


class ResponseTooLarge(ConnectorError):
    def __init__(self, host: str, limit: int) -> None:
        super().__init__(
            f"the response from {host} is over {limit} bytes (AUTOMATOR_HTTP_MAX_RESPONSE_BYTES)"
        )


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses the guard has judged."""

    def __init__(self, guard: Guard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or LoopBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface names it
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout} s") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # the guard returns at least one address
        raise failure

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class BoundedStream(httpx.AsyncByteStream):
    """A response body that stops at ``limit`` bytes, decompressing gzip and deflate itself
    so the bound holds for what the caller gets, not for what crossed the wire."""

    def __init__(self, raw: httpx.AsyncByteStream, host: str, limit: int, *, inflate: bool) -> None:
        self._raw, self._host, self._limit, self._inflate = raw, host, limit, inflate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for piece in self._pieces():
            size += len(piece)
            if size > self._limit:
                raise ResponseTooLarge(self._host, self._limit)
            yield piece

    async def _pieces(self) -> AsyncIterator[bytes]:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32) if self._inflate else None
        try:
            async for chunk in self._raw:
                for piece in _inflated(inflater, chunk, self._limit) if inflater else [chunk]:
                    yield piece
            if inflater is not None:
                yield inflater.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"the response from {self._host} is corrupt: {exc}") from exc

    async def aclose(self) -> None:
        await self._raw.aclose()


def _inflated(inflater: "zlib._Decompress", chunk: bytes, limit: int) -> Iterator[bytes]:
    """``chunk`` decompressed in pieces of at most ``limit + 1`` bytes, so a small bomb
    never expands in memory past the bound."""
    while chunk:
        yield inflater.decompress(chunk, limit + 1)
        chunk = inflater.unconsumed_tail


def bounded(response: httpx.Response, host: str, limit: int) -> httpx.Response:
    """``response`` with its body bounded; refuses encodings it cannot bound."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in INFLATED | {"identity", ""}:
        raise ConnectorError(f"{host} answered with content encoding {encoding!r}, not asked for")
    inflate = encoding in INFLATED
    headers = response.headers.copy()
    if inflate:
        del headers["content-encoding"]
        headers.pop("content-length", None)
    assert isinstance(response.stream, httpx.AsyncByteStream)
    stream = BoundedStream(response.stream, host, limit, inflate=inflate)
    return httpx.Response(
        response.status_code, headers=headers, stream=stream, extensions=response.extensions
    )


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx's transport, connecting through the guard and bounding what it reads."""

    def __init__(self, guard: Guard, max_body: int) -> None:
        self._inner = httpx.AsyncHTTPTransport(trust_env=False, limits=LIMITS)
        # httpx takes no network backend, so its pool is replaced by one that has ours (and
        # reuses its connections: app/actions/pool.py).
        self._inner._pool = ReusingPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )
        self._max_body = max_body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        try:
            return bounded(response, request.url.host, self._max_body)
        except ConnectorError:
            await response.aclose()
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()


def no_cookies() -> CookieJar:
    """A jar that keeps nothing: the client serves every tenant, so a cookie one tenant's
    call receives must never ride along on another's call to the same host."""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def address_guard(settings: Settings) -> Guard:
    """The guard of every outbound connection, with the settings' allow list."""
    return Guard(AllowList.parse(settings.http_allowed_hosts))


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The client for connectors: guarded, bounded, cookieless, never following redirects
    unless a call asks (each hop then goes through the guard); per-call timeouts come from
    the step."""
    guard = address_guard(settings)
    return httpx.AsyncClient(
        cookies=no_cookies(),
        transport=GuardedTransport(guard, settings.http_max_response_bytes),
        timeout=settings.action_timeout,
        follow_redirects=False,
        max_redirects=settings.http_max_redirects,
        trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
    )


def retry_after(response: httpx.Response) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (at most an hour)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            # The server's wall-clock date, so the machine's time, not the process's clock.
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()  # noqa: TID251
        except (TypeError, ValueError):
            return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def status_error(response: httpx.Response, what: str) -> ConnectorError:
    """The error for an unsuccessful answer: 429 and 5xx may pass (retryable, honouring
    ``Retry-After``), any other status will not; the body, trimmed, says why."""
    retryable = response.status_code == 429 or response.status_code >= 500
    body = response.text.strip()[:ERROR_BODY_CHARS]
    message = f"{what} answered {response.status_code}" + (f": {body}" if body else "")
    return ConnectorError(
        message, retryable=retryable, retry_after=retry_after(response) if retryable else None
    )


def transport_error(exc: httpx.HTTPError, what: str) -> ConnectorError:
    """The error for a call that got no usable answer: network failures and timeouts may
    pass; a bad URL, a redirect loop or an undecodable body will not."""
    final = (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.TooManyRedirects)
    if isinstance(exc, (*final, httpx.DecodingError)):
        return ConnectorError(f"{what} failed: {exc}")
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    return ConnectorError(f"{what} {kind}: {type(exc).__name__}: {exc}", retryable=True)
