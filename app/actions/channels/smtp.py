"""The SMTP server email goes through, and what its failures mean.

The default server comes from the ``AUTOMATOR_SMTP_*`` settings; notify_service's
configuration may name another under ``smtp``. A configuration with a ``host`` of its own is
a whole server: nothing of the default one (its login above all) carries over to it, so a
tenant pointing ``smtp.host`` at its own server never receives the operator's password.
Without a ``host``, its fields (``from``, ``reply_to``...) override the default server's.
"""

import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Any, Literal

import aiosmtplib
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from app.actions.base import ActionContext, ConnectorError
from app.errors import place
from app.models import patterns
from app.settings import Settings

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}
MAX_REPLY_CHARS = 300  # of a server's reply kept in step errors


class SmtpServer(BaseModel):
    """notify_service's ``smtp`` configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str = Field(min_length=1, max_length=253)
    port: int | None = Field(None, ge=1, le=65535)
    username: str | None = Field(None, max_length=256)
    password: SecretStr | None = None
    tls: Literal["none", "starttls", "tls"] = "starttls"
    sender: str | None = Field(None, alias="from", max_length=320)
    reply_to: str | None = Field(None, max_length=320)
    timeout: float = Field(30, gt=0, le=300, description="Seconds per SMTP command.")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port or DEFAULT_PORTS[self.tls]}"


def smtp_defaults(settings: Settings) -> dict[str, Any]:
    """The settings' SMTP server, in the configuration's shape (unset ones left out)."""
    values = {
        "host": settings.smtp_host,
        "port": settings.smtp_port,
        "username": settings.smtp_username,
        "password": settings.smtp_password,
        "tls": settings.smtp_tls,
        "from": settings.smtp_from,
    }
    return {name: value for name, value in values.items() if value is not None}


def configured(context: ActionContext) -> bool:
    """Whether this step has an SMTP server: its configuration's or the settings'."""
    given = context.config.get("smtp")
    return bool(
        (isinstance(given, Mapping) and given.get("host")) or context.services.smtp.get("host")
    )


def smtp_server(context: ActionContext) -> SmtpServer:
    """The server this step sends through; a final error when none is configured."""
    given = context.config.get("smtp") or {}
    if not isinstance(given, Mapping):
        raise ConnectorError("notify_service configuration: smtp must be an object")
    merged = dict(given) if given.get("host") else {**context.services.smtp, **given}
    if not merged.get("host"):
        raise ConnectorError(
            "no SMTP server: set AUTOMATOR_SMTP_HOST, or smtp.host in the notify_service "
            "configuration"
        )
    try:
        return SmtpServer.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = place(("smtp", *error["loc"]))
        raise ConnectorError(
            f"notify_service configuration: {where}: {patterns.message(error)}"
        ) from None


async def check_configured_host(server: SmtpServer, context: ActionContext) -> None:
    """A host from notify_service's configuration (a tenant may set it) goes through the
    address guard, as webhooks do; the operator's AUTOMATOR_SMTP_HOST is trusted. The name
    is judged here and resolved again by the SMTP client, so the guard does not pin the
    address for SMTP as it does for HTTP."""
    configured = context.config.get("smtp")
    if isinstance(configured, Mapping) and configured.get("host") and context.services.guard:
        await context.services.guard.addresses(
            server.host, server.port or DEFAULT_PORTS[server.tls]
        )


def refused_host(context: ActionContext) -> str | None:
    """Why ``check_configured_host`` would refuse the host of notify_service's configuration,
    when that is known without resolving it (an IP address however spelled, a metadata
    service's name): a validation's warning and a dry run's answer, as a webhook's URL
    gets. A name is judged when the send resolves it."""
    configured = context.config.get("smtp")
    guard = context.services.guard
    if not isinstance(configured, Mapping) or guard is None:
        return None
    host = configured.get("host")
    return guard.refusal_unresolved(host) if isinstance(host, str) and host else None


async def send(
    server: SmtpServer, message: EmailMessage, sender: str, recipients: Sequence[str]
) -> tuple[dict[str, str], str]:
    """Deliver ``message``; the recipients the server refused (with its reply) and its reply
    to the message. Raises ConnectorError: retryable for 4xx replies and network failures,
    final for 5xx replies, TLS failures and missing server features."""
    password = server.password.get_secret_value() if server.password else None
    try:
        refused, reply = await aiosmtplib.send(
            message,
            sender=sender,
            recipients=list(recipients),
            hostname=server.host,
            port=server.port or DEFAULT_PORTS[server.tls],
            username=server.username,
            password=password,
            use_tls=server.tls == "tls",
            start_tls=server.tls == "starttls",
            timeout=server.timeout,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise failure(exc, server) from None
    return {to: f"{answer.code} {answer.message}" for to, answer in refused.items()}, reply


def failure(exc: BaseException, server: SmtpServer) -> ConnectorError:
    """What an SMTP failure means for a retry."""
    where = f"SMTP server {server.address}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        replies = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        temporary = any(_temporary(r.code) for r in exc.recipients)
        return ConnectorError(
            _cut(f"{where} refused every recipient: {replies}"), retryable=temporary
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return ConnectorError(
            _cut(f"{where} answered {exc.code} {exc.message}"), retryable=_temporary(exc.code)
        )
    if isinstance(exc, ssl.SSLError):
        return ConnectorError(_cut(f"{where}: TLS failed: {exc}"))
    if isinstance(exc, OSError):  # refused, reset, timed out: the server may be back soon
        return ConnectorError(_cut(f"{where}: {exc}"), retryable=True)
    return ConnectorError(_cut(f"{where}: {exc}"))


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _cut(text: str) -> str:
    return text if len(text) <= MAX_REPLY_CHARS else text[: MAX_REPLY_CHARS - 3] + "..."
