"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping what it receives.

Replies can be scripted: ``refuse`` answers RCPT for an address, ``data_replies`` answers the
next DATA commands (``"451 try later"``) before messages are accepted again.
"""

import errno
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from app.redis_server import free_port
from tests.ports import ATTEMPTS

SENDER = "Automator <noreply@automator.test>"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body((subtype,))
        assert body is not None, f"no text/{subtype} part"
        return cast(EmailMessage, body).get_content().strip()  # type: ignore[no-any-return]


@dataclass
class Mailbox:
    """The aiosmtpd handler."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook names
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_replies:
            return self.data_replies.pop(0)
        content = envelope.content
        assert isinstance(content, bytes)
        message = message_from_bytes(content, policy=policy.default)
        self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Authenticator:
    """Accepts one login (aiosmtpd asks only over TLS)."""

    def __init__(self, mailbox: Mailbox, username: str, password: str) -> None:
        self.mailbox, self.username, self.password = mailbox, username, password

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        ok = (data.login.decode(), data.password.decode()) == (self.username, self.password)
        if ok:
            self.mailbox.logins.append(self.username)
        return AuthResult(success=ok, handled=False)


class SmtpServer:
    """``with SmtpServer() as server:`` a server on a free port of 127.0.0.1."""

    def __init__(self, tls: ssl.SSLContext | None = None, login: tuple[str, str] | None = None):
        self.mailbox = Mailbox()
        self.options: dict[str, Any] = {"server_hostname": "localhost"}
        if tls is not None:
            self.options |= {"tls_context": tls, "require_starttls": True}
        if login is not None:
            self.options["authenticator"] = Authenticator(self.mailbox, *login)
        self.port = free_port()
        self.controller = self._controller()

    def _controller(self) -> Controller:
        return Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **self.options)

    def __enter__(self) -> "SmtpServer":
        """Started; on another port if another process took this one before the server
        bound it (aiosmtpd needs the port before it binds: it connects to it to start)."""
        for _ in range(ATTEMPTS - 1):
            try:
                self.controller.start()
                return self
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
            self.port = free_port()
            self.controller = self._controller()
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        return self.mailbox.messages

    def settings(self) -> dict[str, Any]:
        """Settings fields that send through this server, in clear."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_tls": "none",
            "smtp_from": SENDER,
        }
