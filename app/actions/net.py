"""The one outbound HTTP client connectors share, and how its failures read.

Every connection it opens goes through the address guard (``app.actions.address_guard``): the
client resolves the host itself, judges each address, and connects to the address it
judged. Redirects a caller follows are new requests, so each hop is judged the same way.
Response bodies are bounded after decompression (``AUTOMATOR_HTTP_MAX_RESPONSE_BYTES``).
"""

import asyncio
import codecs
import json
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Protocol

import httpcore
import httpx
from httpx._transports.default import map_httpcore_exceptions

from app.actions.address_guard import AllowList, Guard
from app.actions.base import ConnectorError
from app.actions.http11 import Body, Exchanges, Origin, header_lines, request_head
from app.actions.sockets import LoopBackend
from app.settings import Settings

USER_AGENT = "Automator"
# Idle connections are kept up to the connection limit (a worker's calls in flight at once
# reuse theirs), for 1.5 s after their last answer was read: servers close idle connections
# after a few seconds (uvicorn, Node and Apache after 5, gunicorn after 2), and one closing as
# a request goes out fails that request; a busy process reads answers late.
KEEPALIVE_EXPIRY = 1.5
INFLATED = frozenset({"gzip", "x-gzip", "deflate"})
MAX_RETRY_AFTER = 3600.0  # seconds; a longer wait asked for by a server is cut to this
ERROR_BODY_CHARS = 500
# What httpx adds to a request on its own, ahead of the caller's headers (``exchange`` too).
REDIRECTS = frozenset({301, 302, 303, 307, 308})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
FRAMING = frozenset({"content-length", "transfer-encoding"})
TIMEOUTS = ("connect", "read", "write", "pool")
PORTS = {"http": 80, "https": 443}


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


class Bounded:
    """A body's bytes as they arrive, failing once they come to over ``limit``
    (``ResponseTooLarge``): ``add`` each chunk, then ``end`` gives the body."""

    def __init__(self, host: str, limit: int) -> None:
        self._host, self._limit = host, limit
        self._size = 0
        self._kept: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self._kept.append(self._counted(chunk))

    def end(self) -> bytes:
        """The whole body kept."""
        return b"".join(self._kept)

    def _counted(self, piece: bytes) -> bytes:
        self._size += len(piece)
        if self._size > self._limit:
            raise ResponseTooLarge(self._host, self._limit)
        return piece


class Inflow(Bounded):
    """A compressed body's bytes as they arrive, inflated and bounded once inflated;
    failing as well when they do not inflate (httpx's ``DecodingError``)."""

    def __init__(self, host: str, limit: int) -> None:
        super().__init__(host, limit)
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)

    def add(self, chunk: bytes) -> None:
        """``chunk``, inflated in pieces of at most ``limit + 1`` bytes, so a small bomb
        never expands in memory past the bound."""
        try:
            while chunk:
                self._kept.append(self._counted(self._inflater.decompress(chunk, self._limit + 1)))
                chunk = self._inflater.unconsumed_tail
        except zlib.error as exc:
            raise self._corrupt(exc) from exc

    def end(self) -> bytes:
        try:
            self._kept.append(self._counted(self._inflater.flush()))
        except zlib.error as exc:
            raise self._corrupt(exc) from exc
        return super().end()

    def _corrupt(self, exc: zlib.error) -> httpx.DecodingError:
        return httpx.DecodingError(f"the response from {self._host} is corrupt: {exc}")


def inflates(headers: MutableMapping[str, str], host: str) -> bool:
    """Whether the body these response headers describe is to be inflated, and if so the
    headers say what it is once inflated; refuses encodings the client did not ask for,
    since it could not bound them."""
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in INFLATED | {"identity", ""}:
        raise ConnectorError(f"{host} answered with content encoding {encoding!r}, not asked for")
    if encoding in INFLATED:
        del headers["content-encoding"]
        headers.pop("content-length", None)
    return encoding in INFLATED


def connection_limit(settings: Settings) -> int:
    """Connections a process holds open at once, to every host together: webhook calls and
    the other connectors' requests share them (one pool, app/actions/http11.py); a call
    finding them all in use waits for one, up to its timeout. As many as a worker's walks in
    flight: its jobs' (``AUTOMATOR_WORKER_CONCURRENCY``) and the resumes' that take their room
    while new runs are held off before a burst of timers, as many again."""
    return 2 * settings.worker_concurrency


@dataclass(frozen=True, slots=True)
class Target:
    """A request's URL and what it comes to on the wire, worked out once per URL (a
    webhook's URLs are parsed once, ``webhook._parsed``): the origin its connection goes to
    (the scheme's port when the URL names none), its ``Host`` header, the request line's
    target, and the host that errors and the answer's bound name."""

    url: httpx.URL
    origin: Origin
    netloc: str
    path: bytes
    host: str

    @classmethod
    def of(cls, url: httpx.URL) -> "Target":
        origin = (url.scheme, url.raw_host.decode("ascii"), url.port or PORTS.get(url.scheme, 0))
        return cls(url, origin, url.netloc.decode("ascii"), url.raw_path, url.host)


def guarded_origin(target: Target) -> Origin:
    """Where ``target``'s connection goes, refusing a scheme other than HTTP's as httpcore's
    pool refuses it (a redirect's Location)."""
    if target.origin[0] not in PORTS:
        raise httpcore.UnsupportedProtocol(f"the URL's scheme {target.origin[0]!r} is not HTTP")
    return target.origin


class Reading:
    """An answer's head as it arrives (the ``body_of`` of an exchange): its ``headers`` as
    ``read_headers`` makes them (without ``Content-Encoding`` once inflated), and where its
    body goes, bounded: kept as it comes when its ``Content-Length`` is within the bound (the
    parser holds the body to that length), else counted as it arrives, inflated first when
    compressed."""

    def __init__(
        self,
        host: str,
        limit: int,
        read_headers: Callable[[list[tuple[bytes, bytes]]], MutableMapping[str, str]],
    ) -> None:
        self.headers: MutableMapping[str, str] = {}
        self._host, self._limit, self._read_headers = host, limit, read_headers

    def __call__(self, raw: list[tuple[bytes, bytes]]) -> Body | None:
        headers = self.headers = self._read_headers(raw)
        if "content-encoding" in headers and inflates(headers, self._host):
            return Inflow(self._host, self._limit)
        length = headers.get("content-length", "")
        framed = length.isascii() and length.isdigit() and "transfer-encoding" not in headers
        if framed and int(length) <= self._limit:
            return None
        return Bounded(self._host, self._limit)


class GuardedTransport(httpx.AsyncBaseTransport):
    """The client's one pool of guarded connections (``Exchanges``: at most
    ``max_connections`` open, webhook calls and httpx's requests together), each answer read
    whole and bounded."""

    def __init__(self, guard: Guard, max_body: int, max_connections: int) -> None:
        self.exchanges = Exchanges(
            GuardedBackend(guard),
            httpx.create_ssl_context(trust_env=False),
            max_connections,
            KEEPALIVE_EXPIRY,
        )
        self.max_body = max_body

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        # A body httpx would send in chunks (from a stream) goes whole, with its length.
        headers = [
            (name.decode("ascii"), value.decode("ascii"))
            for name, value in request.headers.raw
            if name.lower() != b"transfer-encoding"
        ]
        if len(headers) < len(request.headers.raw):
            headers.append(("Content-Length", str(len(body))))
        timeouts = request.extensions.get("timeout", {})
        target = Target.of(request.url)
        reading = Reading(target.host, self.max_body, httpx.Headers)
        with map_httpcore_exceptions():
            origin = guarded_origin(target)
            head = request_head(request.method, target.path, headers)
            status, content = await self.exchanges.exchange(origin, head + body, timeouts, reading)
        return httpx.Response(status, headers=reading.headers, content=content)

    async def aclose(self) -> None:
        await self.exchanges.aclose()


def no_cookies() -> CookieJar:
    """A jar that keeps nothing: the client serves every tenant, so a cookie one tenant's
    call receives must never ride along on another's call to the same host."""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def address_guard(settings: Settings) -> Guard:
    """The guard of every outbound connection, with the settings' allow list."""
    return Guard(AllowList.parse(settings.http_allowed_hosts))


@dataclass(slots=True)  # not frozen: one per call, and a frozen __init__ costs more
class Outgoing:
    """A request as ``ConnectorClient.exchange`` sends it: the client's own headers (its
    defaults, ``Host``, ``Content-Length``) are added as httpx adds them, where the request
    does not name them. ``own``: headers of this request alone (an idempotency key, a
    signature), after ``headers`` on the wire; none of them the client's own."""

    method: str
    target: Target
    headers: tuple[tuple[str, str], ...]
    body: bytes
    own: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> httpx.URL:
        return self.target.url


@dataclass(slots=True)  # not frozen: one per call, and a frozen __init__ costs more
class Answer:
    """A response read whole and bounded. ``headers`` as httpx reads them: lower-case names,
    the values of a repeated one joined with ", "; without ``Content-Encoding`` and
    ``Content-Length`` once the body was inflated."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        """The body decoded with its charset (UTF-8 when it names none or an unknown one)."""
        return self.content.decode(_charset(self.headers.get("content-type", "")), "replace")

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not)."""
        return json.loads(self.content)


def _charset(content_type: str) -> str:
    if "charset" not in content_type.lower():
        return "utf-8"
    message = Message()
    message["content-type"] = content_type
    charset = message.get_content_charset()
    try:
        return codecs.lookup(charset).name if charset else "utf-8"
    except LookupError:
        return "utf-8"


class ConnectorClient(httpx.AsyncClient):
    """httpx's client with the guarded transport, and ``exchange``: one request sent straight
    on the same guarded connections and its answer read whole, without httpx's request,
    response and header objects or its auth, redirect and cookie layers (a webhook call's
    CPU went there and to httpcore's pool and h11, which no request goes through now:
    bench/README.md). Its guarantees are the transport's: every connection
    judged by the guard, bodies bounded after inflating, the client's timeouts unless the
    call gives its own; no cookies are kept or sent either way. Redirects are the caller's
    to follow (``redirect``)."""

    def __init__(self, settings: Settings) -> None:
        self._guarded = GuardedTransport(
            address_guard(settings), settings.http_max_response_bytes, connection_limit(settings)
        )
        super().__init__(
            cookies=no_cookies(),
            transport=self._guarded,
            timeout=settings.action_timeout,
            follow_redirects=False,
            max_redirects=settings.http_max_redirects,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        )
        self._max_body = settings.http_max_response_bytes
        # Read once: the client's defaults do not change after it is built.
        self._defaults = tuple(self.headers.multi_items())
        self._timeouts = self.timeout.as_dict()

    async def exchange(self, outgoing: Outgoing, timeout: float | None = None) -> Answer:  # noqa: ASYNC109 - per operation, as httpx's
        """Send ``outgoing`` and read its answer; ``timeout`` (seconds per network
        operation) replaces the client's. Fails as httpx's ``send`` fails (its exceptions)."""
        timeouts = self._timeouts if timeout is None else dict.fromkeys(TIMEOUTS, timeout)
        target = outgoing.target
        reading = Reading(target.host, self._max_body, _read_headers)
        try:
            origin = guarded_origin(target)
            request = self._request(outgoing)
            status, body = await self._guarded.exchanges.exchange(
                origin, request, timeouts, reading
            )
        except Exception:
            # Mapped only on failure: httpx's mapper is a generator-based context manager,
            # entered and left for nothing by every call that succeeds.
            with map_httpcore_exceptions():
                raise
        return Answer(status, reading.headers, body)

    def _request(self, outgoing: Outgoing) -> bytes:
        """The request's bytes, its headers as httpx builds them: ``Host``, the client's
        defaults the request does not replace, the request's, its own, then the body's
        length."""
        method, target, body = outgoing.method, outgoing.target, outgoing.body
        head, sized = _head(method, target.path, target.netloc, self._defaults, outgoing.headers)
        own = header_lines(outgoing.own) if outgoing.own else b""
        if not sized and (body or method in BODY_METHODS):
            return b"%s%sContent-Length: %d\r\n\r\n%s" % (head, own, len(body), body)
        return b"%s%s\r\n%s" % (head, own, body)


@lru_cache(maxsize=1024)
def _head(
    method: str,
    path: bytes,
    netloc: str,
    defaults: tuple[tuple[str, str], ...],
    headers: tuple[tuple[str, str], ...],
) -> tuple[bytes, bool]:
    """The request line and headers before a request's own (``request_head`` without its
    blank line), and whether they frame the body; kept, since a workflow's steps send the
    same ones (a header that cannot go on the wire raises, and is not kept)."""
    named = {name.lower() for name, _ in headers}
    wire = [] if "host" in named else [("Host", netloc)]
    wire += [pair for pair in defaults if pair[0].lower() not in named]
    wire += headers
    return request_head(method, path, wire)[:-2], bool(named & FRAMING)


def _read_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Names in lower case, repeated ones joined with ", ", decoded as httpx decodes them
    (ASCII, else UTF-8, else Latin-1, for the whole set)."""
    try:  # the usual answer: ASCII, no name repeated
        headers = {name.decode("ascii").lower(): value.decode("ascii") for name, value in raw}
    except UnicodeDecodeError:
        headers = {}
    if len(headers) == len(raw):
        return headers
    for encoding in ("ascii", "utf-8", "iso-8859-1"):
        try:
            pairs = [(name.decode(encoding).lower(), value.decode(encoding)) for name, value in raw]
            break
        except UnicodeDecodeError:
            continue
    headers = {}
    for name, value in pairs:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def redirect(sent: Outgoing, answer: Answer) -> Outgoing | None:
    """The request a redirect answer asks for, as httpx builds it (its method, URL, headers
    and body rules; no cookies), or None when ``answer`` is no redirect."""
    location = answer.headers.get("location")
    if answer.status_code not in REDIRECTS or location is None:
        return None
    method = _redirect_method(sent.method, answer.status_code)
    url = _redirect_url(sent.url, location)
    dropped = {"cookie"}
    if method != sent.method and method == "GET":
        dropped |= {"content-length", "transfer-encoding"}
    sent_headers = (*sent.headers, *sent.own)
    headers = [(name, value) for name, value in sent_headers if name.lower() not in dropped]
    if (url.scheme, url.host, url.port) != (sent.url.scheme, sent.url.host, sent.url.port):
        if not _https_upgrade(sent.url, url):
            headers = [(name, value) for name, value in headers if name.lower() != "authorization"]
        headers = [(name, value) for name, value in headers if name.lower() != "host"]
    body = b"" if method != sent.method and method == "GET" else sent.body
    return Outgoing(method, Target.of(url), tuple(headers), body)


def _redirect_method(method: str, status: int) -> str:
    if status in (303, 302) and method != "HEAD":
        return "GET"
    if status == 301 and method == "POST":
        return "GET"
    return method


def _redirect_url(sent: httpx.URL, location: str) -> httpx.URL:
    try:
        url = httpx.URL(location)
    except httpx.InvalidURL as exc:
        raise httpx.RemoteProtocolError(f"Invalid URL in location header: {exc}.") from None
    if url.scheme and not url.host:
        url = url.copy_with(host=sent.host)
    if url.is_relative_url:
        url = sent.join(url)
    if sent.fragment and not url.fragment:
        url = url.copy_with(fragment=sent.fragment)
    return url


def _https_upgrade(sent: httpx.URL, url: httpx.URL) -> bool:
    """http to https on the same host and the default ports: httpx keeps Authorization."""
    return (
        sent.host == url.host
        and sent.scheme == "http"
        and sent.port in (80, None)
        and url.scheme == "https"
        and url.port in (443, None)
    )


def http_client(settings: Settings) -> ConnectorClient:
    """The client for connectors: guarded, bounded, cookieless, never following redirects
    unless a call asks (each hop then goes through the guard); per-call timeouts come from
    the step."""
    return ConnectorClient(settings)


class Answered(Protocol):
    """A response as the errors below read it: httpx's, or an ``Answer``."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def text(self) -> str: ...


def retry_after(response: Answered) -> float | None:
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


def status_error(response: Answered, what: str) -> ConnectorError:
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
