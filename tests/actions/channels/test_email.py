"""send_email against a real SMTP server (aiosmtpd on 127.0.0.1)."""

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.actions.base import ActionContext, ConnectorError, Message, Services
from app.actions.channels.email import EmailChannel
from app.actions.channels.smtp import smtp_defaults, smtp_server
from app.actions.net import address_guard
from app.settings import Settings
from tests.mailbox import SENDER, SmtpServer

CHANNEL = EmailChannel()


def context(
    server: SmtpServer | None, key: str = "run_1:welcome:0", **changes: Any
) -> ActionContext:
    defaults = (
        {"host": "127.0.0.1", "port": server.port, "tls": "none", "from": SENDER} if server else {}
    )
    fields: dict[str, Any] = {
        "tenant_id": "acme",
        "run_id": "run_1",
        "step_id": "welcome",
        "idempotency_key": key,
        "attempt": 1,
        "event": {"user": {"id": "u1", "email": "ada@example.com", "name": "Ada"}},
        "services": Services(smtp=defaults),
    }
    return ActionContext(**(fields | changes))


async def send(params: dict[str, Any], ctx: ActionContext) -> dict[str, Any]:
    return await CHANNEL.send(params, ctx)


async def test_a_message_arrives_as_text_and_html_with_a_message_id_stable_across_retries(
    smtp_server: SmtpServer,
) -> None:
    params = {
        "recipient": "Ada <ada@example.com>",
        "subject": "Hi",
        "body": "Hello Ada",
        "html": "<p>Hello Ada</p>",
        "reply_to": "help@acme.test",
    }
    first = await send(params, context(smtp_server))
    retried = await send(params, context(smtp_server, attempt=2))
    other_step = await send(params, context(smtp_server, key="run_1:later:0"))
    assert first["message_id"] == retried["message_id"] != other_step["message_id"]
    assert first["message_id"].endswith("@automator.test>")
    assert (first["recipients"], first["accepted"], first["refused"]) == (
        ["ada@example.com"],
        ["ada@example.com"],
        {},
    )
    received = smtp_server.messages[0]
    assert (received.mail_from, received.rcpt_tos) == (
        "noreply@automator.test",
        ["ada@example.com"],
    )
    headers = received.message
    assert (headers["From"], headers["To"], headers["Subject"]) == (
        SENDER,
        "Ada <ada@example.com>",
        "Hi",
    )
    assert headers["Message-ID"] == first["message_id"]
    assert headers["Idempotency-Key"] == headers["X-Automator-Idempotency-Key"] == "run_1:welcome:0"
    assert headers["Reply-To"] == "help@acme.test"
    assert headers.get_content_type() == "multipart/alternative"
    assert (received.part("plain"), received.part("html")) == ("Hello Ada", "<p>Hello Ada</p>")


async def test_the_template_gives_what_data_leaves_out_and_data_subject_wins(
    smtp_server: SmtpServer,
) -> None:
    message = Message("welcome_email", "Welcome, Ada!", "Text from the template", "<b>HTML</b>")
    ctx = context(smtp_server, message=message, template="welcome_email")
    output = await send({"recipient": "ada@example.com", "subject": "Welcome to Appgain!"}, ctx)
    received = smtp_server.messages[0]
    assert received.message["Subject"] == "Welcome to Appgain!"
    assert (received.part("plain"), received.part("html")) == (
        "Text from the template",
        "<b>HTML</b>",
    )
    assert output["template"] == "welcome_email"
    await send({}, ctx)
    assert smtp_server.messages[1].message["Subject"] == "Welcome, Ada!"


async def test_with_no_recipient_it_goes_to_the_users_email(smtp_server: SmtpServer) -> None:
    output = await send({"subject": "Hi", "text": "Hello", "recipient": ""}, context(smtp_server))
    assert output["recipients"] == ["ada@example.com"]
    assert smtp_server.messages[0].rcpt_tos == ["ada@example.com"]
    assert smtp_server.messages[0].message.get_content_type() == "text/plain"


async def test_recipients_are_deduplicated_and_an_html_only_message_is_html(
    smtp_server: SmtpServer,
) -> None:
    params = {
        "recipient": "a@example.com",
        "recipients": ["b@example.com", "A@example.com", ""],
        "subject": "Hi",
        "html": "<p>Hi</p>",
    }
    output = await send(params, context(smtp_server))
    assert output["recipients"] == ["a@example.com", "b@example.com"]
    assert smtp_server.messages[0].message.get_content_type() == "text/html"


@pytest.mark.parametrize(
    ("params", "event", "error"),
    [
        (
            {"subject": "Hi", "body": "x"},
            {"user": {"id": "u1"}},
            "no recipient: data.recipient is empty and the event's user has no email",
        ),
        (
            {"recipient": "not an address", "subject": "Hi", "body": "x"},
            None,
            "data.recipient: 'not an address' is not an email address",
        ),
        (
            {"recipient": "a@example.com\r\nBcc: x@evil.test", "subject": "Hi", "body": "x"},
            None,
            "is not an email address",
        ),
        (
            {"subject": "Hi", "body": "x"},
            {"user": {"email": "a" * 100_000 + "@"}},
            f"user.email: '{'a' * 27}...{'a' * 27}@' is not an email",
        ),
        ({"recipient": "a@example.com", "body": "x"}, None, "no subject: data.subject is empty"),
        (
            {"recipient": "a@example.com", "subject": "Hi"},
            None,
            "no body: data.body and data.html are empty",
        ),
        (
            {"recipient": "a@example.com", "subject": "Hi", "body": "x", "cc": "b@example.com"},
            None,
            "data: Additional properties are not allowed ('cc' was unexpected)",
        ),
    ],
)
async def test_bad_input_is_a_final_error_naming_the_field(
    smtp_server: SmtpServer, params: dict[str, Any], event: dict[str, Any] | None, error: str
) -> None:
    ctx = context(smtp_server) if event is None else context(smtp_server, event=event)
    with pytest.raises(
        ConnectorError, match=error.replace("(", r"\(").replace(")", r"\)")
    ) as raised:
        await send(params, ctx)
    assert raised.value.retryable is False
    assert smtp_server.messages == []


async def test_a_subject_with_line_breaks_becomes_one_line(smtp_server: SmtpServer) -> None:
    await send({"subject": "Hello\r\nBcc: x@evil.test", "body": "x"}, context(smtp_server))
    message = smtp_server.messages[0].message
    assert message["Subject"] == "Hello Bcc: x@evil.test"
    assert message["Bcc"] is None
    assert smtp_server.messages[0].rcpt_tos == ["ada@example.com"]


async def test_a_5xx_reply_is_final_and_a_4xx_reply_retryable(smtp_server: SmtpServer) -> None:
    params = {"subject": "Hi", "body": "x"}
    smtp_server.mailbox.data_replies = ["554 5.7.1 rejected as spam", "451 4.3.0 try again later"]
    with pytest.raises(ConnectorError) as final:
        await send(params, context(smtp_server))
    with pytest.raises(ConnectorError) as temporary:
        await send(params, context(smtp_server))
    assert final.value.retryable is False
    assert "answered 554 5.7.1 rejected as spam" in final.value.message
    assert temporary.value.retryable is True
    assert "451 4.3.0 try again later" in temporary.value.message
    await send(params, context(smtp_server))
    assert len(smtp_server.messages) == 1


async def test_refused_recipients_are_reported_or_fail_the_step(smtp_server: SmtpServer) -> None:
    smtp_server.mailbox.refuse = {
        "gone@example.com": "550 5.1.1 no such user",
        "full@example.com": "452 4.2.2 mailbox full",
    }
    params = {"recipients": ["ada@example.com", "gone@example.com"], "subject": "Hi", "body": "x"}
    output = await send(params, context(smtp_server))
    assert output["accepted"] == ["ada@example.com"]
    assert output["refused"] == {"gone@example.com": "550 5.1.1 no such user"}
    with pytest.raises(ConnectorError, match="refused every recipient") as gone:
        await send(params | {"recipients": ["gone@example.com"]}, context(smtp_server))
    assert gone.value.retryable is False
    with pytest.raises(ConnectorError, match=r"452 4\.2\.2 mailbox full") as full:
        await send(params | {"recipients": ["full@example.com"]}, context(smtp_server))
    assert full.value.retryable is True


async def test_a_server_that_is_not_there_is_retryable(closed_port: int) -> None:
    closed = {"host": "127.0.0.1", "port": closed_port, "tls": "none", "from": SENDER}
    ctx = context(None, services=Services(smtp=closed))
    with pytest.raises(ConnectorError, match=f"SMTP server 127.0.0.1:{closed['port']}") as raised:
        await send({"subject": "Hi", "body": "x"}, ctx)
    assert raised.value.retryable is True


async def test_no_smtp_server_is_a_final_error_naming_the_settings() -> None:
    with pytest.raises(ConnectorError, match="set AUTOMATOR_SMTP_HOST") as raised:
        await send({"subject": "Hi", "body": "x"}, context(None))
    assert raised.value.retryable is False


async def test_a_configured_smtp_host_goes_through_the_address_guard(
    smtp_server: SmtpServer,
) -> None:
    """A tenant's ``smtp.host`` on loopback is refused before anything is sent (nothing
    reaches the server); allow-listed, or set by the operator (AUTOMATOR_SMTP_HOST), it is
    used."""
    own = {"host": "127.0.0.1", "port": smtp_server.port, "tls": "none", "from": SENDER}
    guarded = Services(guard=address_guard(Settings(_env_file=None)))
    ctx = context(None, services=guarded, config={"smtp": own})
    with pytest.raises(ConnectorError, match=r"127\.0\.0\.1: it is a loopback") as raised:
        await send({"subject": "Hi", "body": "x"}, ctx)
    assert raised.value.retryable is False
    assert smtp_server.messages == []
    allowed = Settings(_env_file=None, http_allowed_hosts=["127.0.0.1"])
    ctx = context(None, services=Services(guard=address_guard(allowed)), config={"smtp": own})
    await send({"subject": "Hi", "body": "x"}, ctx)
    operator = Services(guard=address_guard(Settings(_env_file=None)), smtp=own)
    await send({"subject": "Hi", "body": "x"}, context(None, services=operator))
    assert len(smtp_server.messages) == 2


def test_a_configured_host_is_a_whole_server_without_the_default_login() -> None:
    defaults = {
        "host": "mail.operator.test",
        "username": "operator",
        "password": "op-secret",
        "tls": "tls",
        "from": "ops@operator.test",
    }
    own = context(None, services=Services(smtp=defaults), config={"smtp": {"host": "mail.t.test"}})
    server = smtp_server(own)
    assert (server.host, server.username, server.password, server.tls) == (
        "mail.t.test",
        None,
        None,
        "starttls",
    )
    assert server.address == "mail.t.test:587"
    sender_only = context(
        None, services=Services(smtp=defaults), config={"smtp": {"from": "hi@tenant.test"}}
    )
    merged = smtp_server(sender_only)
    assert (merged.host, merged.username, merged.sender) == (
        "mail.operator.test",
        "operator",
        "hi@tenant.test",
    )
    assert "op-secret" not in repr(merged)
    with pytest.raises(ConnectorError, match=r"smtp\.tls: Input should be"):
        smtp_server(context(None, config={"smtp": {"host": "h", "tls": "ssl"}}))


def test_settings_become_the_default_server() -> None:
    settings = Settings(smtp_host="mail.test", smtp_tls="tls", smtp_password="pw", _env_file=None)
    defaults = smtp_defaults(settings)
    assert defaults["host"] == "mail.test"
    assert "from" not in defaults
    server = smtp_server(context(None, services=Services(smtp=defaults)))
    assert server.address == "mail.test:465"
    assert server.password is not None
    assert server.password.get_secret_value() == "pw"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_starttls_then_login_with_the_certificate_verified(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    with SmtpServer(tls=tls, login=("mailer", "s3cret")) as server:
        smtp = {
            "host": "127.0.0.1",
            "port": server.port,
            "tls": "starttls",
            "from": SENDER,
            "username": "mailer",
            "password": "s3cret",
        }
        ctx = context(None, services=Services(smtp=smtp))
        params = {"subject": "Over TLS", "body": "x"}
        with pytest.raises(
            ConnectorError, match=r"TLS failed: .*CERTIFICATE_VERIFY_FAILED"
        ) as untrusted:
            await send(params, ctx)
        assert untrusted.value.retryable is False
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test's own CA
        await send(params, ctx)
        clear = context(None, services=Services(smtp=smtp | {"tls": "none"}))
        with pytest.raises(ConnectorError, match="AUTH extension is not supported") as clear_text:
            await send(params, clear)  # the server offers no login before STARTTLS
        assert clear_text.value.retryable is False
    assert [m.message["Subject"] for m in server.messages] == ["Over TLS"]
    assert server.mailbox.logins == ["mailer"]
