"""The outbound client's connections on the loop's own transports: plain and TLS calls
answered, a certificate for another name refused, an answer larger than the read-ahead
arrives whole, a silent server times out and one that hangs up mid-answer fails the call.
A step's timeout around a call ends it when it ends before the read's. Real servers on
127.0.0.1; the TLS one has a certificate made here (for 127.0.0.1, or for
a name a stand-in resolver points at 127.0.0.1), which the test's client trusts."""

import asyncio
import ipaddress
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.actions.address_guard import AllowList, Guard, IPAddress
from app.actions.deadline import CallTimeout
from app.actions.net import GuardedTransport, http_client
from app.actions.sockets import READ_AHEAD
from app.settings import Settings

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def answer(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body


def answering(body: bytes) -> Handler:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer(body))
        await writer.drain()
        writer.close()

    return serve


async def hanging_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(answer(b"x" * 100)[:-50])
    await writer.drain()
    writer.close()


def silent(until: asyncio.Event) -> Handler:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await until.wait()
        writer.close()

    return serve


def trickling(pieces: list[bytes], pause: float) -> Handler:
    """Answers in ``pieces``, ``pause`` seconds apart."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        for n, piece in enumerate(pieces):
            if n:
                await asyncio.sleep(pause)
            writer.write(piece)
            await writer.drain()
        writer.close()

    return serve


def certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (an address or a DNS name) and its key, as
    PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = x509.DNSName(host)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([subject]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    return await asyncio.start_server(handler, "127.0.0.1", 0, ssl=tls)


def url(server: asyncio.Server, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"


Run = Callable[[Coroutine[Any, Any, None]], None]
# The worker's loop (uvloop, whose transports are not asyncio's classes) and asyncio's.
LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])


def client() -> httpx.AsyncClient:
    return http_client(Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"]))


def tls_server_side(cert: Path, key: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """The server's TLS context, with the client's made to trust ``cert`` (and nothing else)."""
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **_: trusting)
    return server_side


@LOOPS
def test_a_tls_call_is_answered(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server_side = tls_server_side(*certificate(tmp_path), monkeypatch)

    async def scenario() -> None:
        server = await serving(answering(b"secret"), server_side)
        async with server, client() as connectors:  # the server speaks TLS only
            got = await connectors.post(url(server, "https"), json={})
        assert (got.status_code, got.content) == (200, b"secret")

    run(scenario())


@LOOPS
def test_tls_checks_the_certificate_against_the_name_not_the_address_connected_to(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard connects to the address it judged, not to the name: TLS must still check
    the certificate against the name the URL gives."""
    server_side = tls_server_side(*certificate(tmp_path, "service.example"), monkeypatch)

    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]  # a stand-in DNS answer for any name

    async def scenario() -> None:
        server = await serving(answering(b"secret"), server_side)
        port = server.sockets[0].getsockname()[1]
        guard = Guard(AllowList.parse(["127.0.0.1"]), resolve)
        async with server, httpx.AsyncClient(transport=GuardedTransport(guard, 1024, 10)) as named:
            got = await named.get(f"https://service.example:{port}/hook")
            assert (got.status_code, got.content) == (200, b"secret")
            with pytest.raises(httpx.ConnectError, match=r"not valid for 'other\.example'"):
                await named.get(f"https://other.example:{port}/hook")

    run(scenario())


@LOOPS
def test_an_answer_past_the_read_ahead_arrives_whole(run: Run) -> None:
    body = bytes(range(256)) * (READ_AHEAD * 4 // 256)

    async def scenario() -> None:
        server = await serving(answering(body))
        async with server, client() as connectors:
            got = await connectors.get(url(server))
        assert got.content == body

    run(scenario())


@LOOPS
def test_a_server_hanging_up_mid_answer_fails_the_call(run: Run) -> None:
    async def scenario() -> None:
        server = await serving(hanging_up)
        async with server, client() as connectors:
            with pytest.raises(httpx.RemoteProtocolError):
                await connectors.get(url(server))

    run(scenario())


@LOOPS
def test_a_silent_server_times_out(run: Run) -> None:
    async def scenario() -> None:
        answered = asyncio.Event()
        server = await serving(silent(answered))
        async with server, client() as connectors:
            with pytest.raises(httpx.ReadTimeout):
                await connectors.get(url(server), timeout=0.2)
            answered.set()

    run(scenario())


@LOOPS
@pytest.mark.parametrize(
    ("call_seconds", "read_seconds", "raised"),
    [(5.0, 0.2, httpx.ReadTimeout), (0.2, 30.0, TimeoutError)],
    ids=["the-read-first", "the-call-first"],
)
def test_a_silent_server_times_out_whichever_timeout_ends_first(
    run: Run, call_seconds: float, read_seconds: float, raised: type[Exception]
) -> None:
    """A step's call has a timeout of its own around the client's per-read one (the walk's
    ``CallTimeout``); the one ending first ends the call, as its error says."""

    async def scenario() -> None:
        answered = asyncio.Event()
        server = await serving(silent(answered))
        async with server, client() as connectors:
            # The error says which ended the call: ReadTimeout the read's, TimeoutError the
            # call's, each far sooner than the other's.
            with pytest.raises(raised), CallTimeout(call_seconds):
                await connectors.get(url(server), timeout=read_seconds)
            answered.set()

    run(scenario())


@LOOPS
def test_a_read_timeout_starts_again_at_every_arrival(run: Run) -> None:
    """An answer whose pieces each come within the read timeout arrives whole, however long
    it takes in all (here 1.2 s against a read timeout of 1 s)."""

    async def scenario() -> None:
        body = b"x" * 24
        whole = answer(body)
        head = len(whole) - len(body)
        pieces = [whole[:head], *(body[n : n + 2] for n in range(0, len(body), 2))]
        server = await serving(trickling(pieces, 0.1))
        async with server, client() as connectors:
            got = await connectors.get(url(server), timeout=1.0)
        assert got.content == body

    run(scenario())


@LOOPS
def test_a_read_in_a_task_a_call_started_keeps_its_own_timeout(run: Run) -> None:
    """The call's timeout cancels the call's task only: a task the call started reads
    with its own timeout still."""

    async def scenario() -> None:
        answered = asyncio.Event()
        server = await serving(silent(answered))
        async with server, client() as connectors:
            with CallTimeout(0.2):
                apart = asyncio.create_task(connectors.get(url(server), timeout=0.5))
            with pytest.raises(httpx.ReadTimeout):
                await asyncio.wait_for(apart, 5)
            answered.set()

    run(scenario())
