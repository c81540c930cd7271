"""The shared outbound client: it connects only to addresses the guard judged, guards every
redirect hop, and bounds what it reads. Traffic goes only to a local server on 127.0.0.1;
refusals of other addresses are shown without connecting (a recording stand-in backend)."""

import gzip
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from ipaddress import ip_address

import httpcore
import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from app.actions.address_guard import AddressRefused, AllowList, Guard, IPAddress
from app.actions.net import (
    GuardedBackend,
    GuardedTransport,
    ResponseTooLarge,
    http_client,
    retry_after,
    status_error,
)
from app.settings import Settings


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stand-in for the network: records where it was asked to connect, connects nowhere."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface names it
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.asked.append(host)
        raise httpcore.ConnectError("the recording backend connects nowhere")


def rebinding_dns(*answers: str) -> Guard:
    """A guard whose resolver gives each answer in turn, as a DNS server rebinding a name
    would (a stand-in: no such server runs here)."""
    remaining = [ip_address(answer) for answer in answers]

    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [remaining.pop(0)]

    return Guard(resolve=resolve)


async def client_for(allowed: list[str]) -> httpx.AsyncClient:
    return http_client(Settings(_env_file=None, http_allowed_hosts=allowed))


@pytest.fixture
async def loopback_allowed() -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(["127.0.0.1/32"]) as client:
        yield client


async def test_a_refused_address_is_never_connected_to() -> None:
    network = RecordingBackend()
    backend = GuardedBackend(Guard(), network)
    for host in ["10.0.0.1", "169.254.169.254", "::ffff:a9fe:a9fe", "2130706433"]:
        with pytest.raises(AddressRefused):
            await backend.connect_tcp(host, 80)
    assert network.asked == []


async def test_each_connection_goes_to_the_address_judged_for_it() -> None:
    network = RecordingBackend()
    backend = GuardedBackend(rebinding_dns("93.184.215.14", "127.0.0.1"), network)
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("rebind.example", 80)
    assert network.asked == ["93.184.215.14"]
    refused = await _refusal(backend.connect_tcp("rebind.example", 80))
    assert "it resolves to 127.0.0.1, a loopback address" in refused.message
    assert network.asked == ["93.184.215.14"]


async def _refusal(call: object) -> AddressRefused:
    with pytest.raises(AddressRefused) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_the_client_refuses_a_local_server_that_is_not_allow_listed(
    httpserver: HTTPServer,
) -> None:
    async with await client_for([]) as client:
        refused = await _refusal(client.get(httpserver.url_for("/")))
    assert refused.message == (
        "refused to connect to 127.0.0.1: it is a loopback address; "
        "allow it with AUTOMATOR_HTTP_ALLOWED_HOSTS=127.0.0.1 in the service's environment"
    )
    assert httpserver.log == []


async def test_the_client_connects_to_the_resolved_address_keeping_the_host_name(
    httpserver: HTTPServer,
) -> None:
    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [ip_address("127.0.0.1")]  # a stand-in DNS answer for service.example

    guard = Guard(AllowList.parse(["127.0.0.1"]), resolve)
    httpserver.expect_request("/ping").respond_with_data("pong")
    transport = GuardedTransport(guard, max_body=1024, max_connections=10)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(f"http://service.example:{httpserver.port}/ping")
    assert response.text == "pong"
    (request, _), *_ = httpserver.log
    assert request.headers["Host"] == f"service.example:{httpserver.port}"


async def test_every_redirect_hop_is_guarded(
    httpserver: HTTPServer, loopback_allowed: httpx.AsyncClient
) -> None:
    # 2130706434 is 127.0.0.2: loopback, but outside the allow-listed 127.0.0.1/32.
    elsewhere = f"http://2130706434:{httpserver.port}/"
    httpserver.expect_request("/").respond_with_data(status=302, headers={"Location": elsewhere})
    refused = await _refusal(loopback_allowed.get(httpserver.url_for("/"), follow_redirects=True))
    assert "2130706434: it resolves to 127.0.0.2, a loopback address" in refused.message
    assert len(httpserver.log) == 1


async def test_a_body_over_the_limit_fails_the_call(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data("x" * 2048)
    limited = Settings(
        _env_file=None, http_allowed_hosts=["127.0.0.1"], http_max_response_bytes=1024
    )
    async with http_client(limited) as client:
        with pytest.raises(ResponseTooLarge, match=r"127\.0\.0\.1 is over 1024 bytes"):
            await client.get(httpserver.url_for("/big"))


async def test_the_limit_holds_for_the_decompressed_body(httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * 10_000_000)  # about 10 KB on the wire, 10 MB inflated
    small = gzip.compress(b'{"ok": true}')
    httpserver.expect_request("/bomb").respond_with_response(
        Response(bomb, headers={"Content-Encoding": "gzip"})
    )
    httpserver.expect_request("/small").respond_with_response(
        Response(small, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    )
    transport = GuardedTransport(
        Guard(AllowList.parse(["127.0.0.1"])), max_body=64 * 1024, max_connections=10
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(ResponseTooLarge):
            await client.get(httpserver.url_for("/bomb"))
        response = await client.get(httpserver.url_for("/small"))
    assert response.json() == {"ok": True}
    assert "content-encoding" not in response.headers


async def test_an_encoding_the_client_cannot_bound_is_refused(
    httpserver: HTTPServer, loopback_allowed: httpx.AsyncClient
) -> None:
    httpserver.expect_request("/").respond_with_response(
        Response(b"...", headers={"Content-Encoding": "br"})
    )
    with pytest.raises(Exception, match="answered with content encoding 'br', not asked for"):
        await loopback_allowed.get(httpserver.url_for("/"))


def answer(status: int, headers: dict[str, str] | None = None, body: str = "") -> httpx.Response:
    return httpx.Response(status, headers=headers, text=body)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("86400", 3600.0),
        ("soon", None),
        ("", None),
        ("nan", None),
        ("inf", 3600.0),
    ],
)
def test_retry_after_reads_seconds_capped_at_an_hour(value: str, seconds: float | None) -> None:
    assert retry_after(answer(429, {"Retry-After": value})) == seconds


def test_retry_after_reads_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    waited = retry_after(answer(503, {"Retry-After": later}))
    assert waited is not None
    assert 500 < waited <= 600


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (400, False), (404, False), (410, False)],
)
def test_server_errors_and_throttling_are_retryable_other_refusals_final(
    status: int, retryable: bool
) -> None:
    error = status_error(answer(status, {"Retry-After": "7"}, "nope"), "POST to hooks.example")
    assert error.retryable is retryable
    assert error.message == f"POST to hooks.example answered {status}: nope"
    assert error.retry_after == (7.0 if retryable else None)


def test_the_error_body_is_trimmed() -> None:
    error = status_error(answer(400, body="e" * 5000), "POST to hooks.example")
    assert error.message == "POST to hooks.example answered 400: " + "e" * 500


async def test_cookies_a_server_sets_are_never_sent_on_another_call(
    httpserver: HTTPServer, loopback_allowed: httpx.AsyncClient
) -> None:
    # One client serves every tenant's connectors: a kept cookie would carry one tenant's
    # session into another's calls to the same host.
    httpserver.expect_request("/login").respond_with_data(
        "ok", headers={"Set-Cookie": "session=tenant-a; Path=/"}
    )
    httpserver.expect_request("/other").respond_with_data("ok")
    await loopback_allowed.get(httpserver.url_for("/login"))
    await loopback_allowed.get(httpserver.url_for("/other"))
    assert "Cookie" not in httpserver.log[1][0].headers
