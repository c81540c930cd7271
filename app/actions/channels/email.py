"""``send_email``: one message over SMTP, plain text and HTML.

What is sent, part by part: ``data.subject`` or the template's subject; ``data.body`` (or
``data.text``) or the template's text; ``data.html`` or the template's HTML. Recipients are
``data.recipient`` and ``data.recipients``, or else the event's ``user.email`` (the seed's
user_onboarding workflow names none). The Message-ID is derived from the step's idempotency
key, so a retried step sends the same Message-ID and receivers can drop the copy; the key
itself travels in ``Idempotency-Key`` and ``X-Automator-Idempotency-Key`` headers.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from app.actions.base import (
    ActionContext,
    ActionSpec,
    ConnectorError,
    Message,
    OutboxBook,
    parse_address,
)
from app.actions.channels import inputs, smtp
from app.actions.channels.outbox import OUTPUT as OUTBOX_OUTPUT
from app.actions.channels.outbox import Letter, keep, outbox
from app.errors import shown

MAX_RECIPIENTS = 50
MAX_ADDRESS_CHARS = 320
MAX_SUBJECT_CHARS = 998  # one header line (RFC 5322)
MAX_BODY_CHARS = 1024 * 1024  # per part
IDEMPOTENCY_HEADERS = ("Idempotency-Key", "X-Automator-Idempotency-Key")
OUTBOX_SENDER = "automator@localhost"  # a message the outbox keeps names no real sender

_ADDRESS = {"type": "string", "format": "email", "maxLength": MAX_ADDRESS_CHARS}
_BODY = {"type": "string", "maxLength": MAX_BODY_CHARS}
INPUTS = {
    "type": "object",
    "properties": {
        "recipient": _ADDRESS
        | {
            "description": "`ada@example.com` or `Ada <ada@example.com>`; default: the "
            "event's `user.email`."
        },
        "recipients": {
            "type": "array",
            "items": _ADDRESS,
            "maxItems": MAX_RECIPIENTS,
            "description": "Recipients of one message (each sees the others), with `recipient`.",
        },
        "subject": {
            "type": "string",
            "maxLength": MAX_SUBJECT_CHARS,
            "description": "Overrides the template's subject.",
        },
        "body": _BODY | {"description": "Plain-text body; overrides the template's text."},
        "text": _BODY | {"description": "Another name for `body`."},
        "html": _BODY | {"description": "HTML body; overrides the template's HTML."},
        "variables": {
            "type": "object",
            "description": "The template's variables, at the root of its context.",
        },
        "from": _ADDRESS
        | {
            "description": "Sender; default: the configuration's `smtp.from`, "
            "else AUTOMATOR_SMTP_FROM."
        },
        "reply_to": _ADDRESS | {"description": "Where replies go (`Reply-To`)."},
    },
    "additionalProperties": False,
}
_ADDRESSES = {"type": "array", "items": {"type": "string"}}
OUTPUTS = {
    "type": "object",
    "properties": {
        "message_id": {
            "type": "string",
            "description": "The Message-ID: the same on every retry of the step.",
        },
        "recipients": _ADDRESSES | {"description": "Who it was sent to."},
        "accepted": _ADDRESSES | {"description": "The recipients the server accepted."},
        "refused": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Recipients the server refused, with its reply.",
        },
        "response": {"type": "string", "description": "The server's reply to the message."},
        "template": {"type": ["string", "null"], "description": "The template rendered."},
        **OUTBOX_OUTPUT,
    },
}


@dataclass(frozen=True)
class Email:
    sender: Address
    recipients: list[Address]
    subject: str
    text: str | None
    html: str | None
    reply_to: Address | None

    def shown(self) -> dict[str, Any]:
        """The message as a dry run shows it."""
        return {
            "from": str(self.sender),
            "to": [str(recipient) for recipient in self.recipients],
            "reply_to": None if self.reply_to is None else str(self.reply_to),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
        }

    def mime(self, idempotency_key: str, tenant_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.recipients
        message["Subject"] = self.subject
        # Read by mail servers and people against their clocks: the machine's time.
        message["Date"] = format_datetime(datetime.now(UTC))  # noqa: TID251
        message["Message-ID"] = message_id(idempotency_key, tenant_id, self.sender)
        for header in IDEMPOTENCY_HEADERS:
            message[header] = idempotency_key
        if self.reply_to is not None:
            message["Reply-To"] = self.reply_to
        if self.text is not None:
            message.set_content(self.text)
        if self.html is not None and self.text is not None:
            message.add_alternative(self.html, subtype="html")
        elif self.html is not None:
            message.set_content(self.html, subtype="html")
        return message


def message_id(idempotency_key: str, tenant_id: str, sender: Address) -> str:
    """Stable for one step of one tenant, whatever the attempt."""
    digest = hashlib.sha256(f"{tenant_id}\n{idempotency_key}".encode()).hexdigest()[:32]
    domain = sender.domain if sender.domain.isascii() else "automator.invalid"
    return f"<{digest}@{domain}>"


def address(value: Any, field: str) -> Address:
    """One address, plain or with a display name; a final error naming ``field`` otherwise."""
    text = str(value).strip()
    parsed = parse_address(text)
    if parsed is None:
        raise ConnectorError(f"{field}: {shown(text)} is not an email address")
    return parsed


def recipients(params: Mapping[str, Any], context: ActionContext) -> list[Address]:
    """``data.recipient`` and ``data.recipients`` (empty ones dropped, duplicates once), or
    when they name nobody the event's ``user.email``."""
    listed = params.get("recipients") or []
    named = [("data.recipient", params.get("recipient"))]
    named += [(f"data.recipients.{i}", to) for i, to in enumerate(listed)]
    named = [(field, to) for field, to in named if to] or [("user.email", _user_email(context))]
    if not named[0][1]:
        raise ConnectorError(
            "no recipient: data.recipient is empty and the event's user has no email"
        )
    unique: dict[str, Address] = {}
    for field, to in named:
        parsed = address(to, field)
        unique.setdefault(parsed.addr_spec.lower(), parsed)
    return list(unique.values())


def _user_email(context: ActionContext) -> Any:
    user = context.event.get("user")
    return user.get("email") if isinstance(user, Mapping) else None


def _part(params: Mapping[str, Any], keys: tuple[str, ...], fallback: str | None) -> str | None:
    for key in keys:
        if params.get(key):
            return str(params[key])
    return fallback


def _content(
    params: Mapping[str, Any], context: ActionContext
) -> tuple[str, str | None, str | None]:
    """The subject, text and HTML: the step's data, else its template's."""
    message = context.message or Message("")
    subject = " ".join(str(_part(params, ("subject",), message.subject) or "").split())
    return (
        subject,
        _part(params, ("body", "text"), message.text),
        _part(params, ("html",), message.html),
    )


def _missing(subject: str, text: str | None, html: str | None, message: Message | None) -> str:
    """What the email lacks to be sent, saying where it may come from; "" when nothing."""
    if not subject:
        return inputs.missing("subject", "data.subject is empty", "data.subject", message)
    if text is None and html is None:
        empty = "data.body and data.html are empty"
        return inputs.missing("body", empty, "data.body", message)
    return ""


def compose(
    params: Mapping[str, Any], context: ActionContext, server: smtp.SmtpServer | None
) -> Email:
    """The message this step sends (through ``server``, or to the outbox when None); a final
    error naming the field that is missing."""
    subject, text, html = _content(params, context)
    missing = _missing(subject, text, html, context.message)
    if missing:
        raise ConnectorError(missing)
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ConnectorError(
            f"subject: {len(subject)} characters, at most {MAX_SUBJECT_CHARS} are allowed"
        )
    return Email(
        sender=_sender(params, server),
        recipients=recipients(params, context),
        subject=subject,
        text=text,
        html=html,
        reply_to=_reply_to(params, server),
    )


def _sender(params: Mapping[str, Any], server: smtp.SmtpServer | None) -> Address:
    sender = params.get("from") or (server.sender if server else OUTBOX_SENDER)
    if not sender:
        raise ConnectorError(
            "no sender: set data.from, smtp.from in the notify_service configuration, "
            "or AUTOMATOR_SMTP_FROM"
        )
    return address(sender, "from")


def _reply_to(params: Mapping[str, Any], server: smtp.SmtpServer | None) -> Address | None:
    reply_to = params.get("reply_to") or (server.reply_to if server else None)
    return address(reply_to, "reply_to") if reply_to else None


class EmailChannel:
    spec = ActionSpec(
        inputs=INPUTS,
        outputs=OUTPUTS,
        description="Send an email over SMTP (AUTOMATOR_SMTP_* or the configuration's "
        "`smtp`), plain text and HTML, from a stored template (`template`) or `data`.",
    )

    def lacking(self, params: Mapping[str, Any], context: ActionContext) -> str | None:
        """What ``send`` would refuse, found before the step runs: an SMTP host of the
        step's configuration the address guard refuses, or a subject or a body missing
        (its data need not be rendered: only whether each part is given counts)."""
        return (
            smtp.refused_host(context)
            or _missing(*_content(params, context), context.message)
            or None
        )

    def draft(self, params: Mapping[str, Any], context: ActionContext) -> dict[str, Any]:
        """The email ``send`` would send, composed from the step's rendered data and
        template without sending it: the error ``send`` raises for a recipient or a part it
        would refuse (an email to nobody, an address that does not parse)."""
        server = None if _keeping(context) is not None else smtp.smtp_server(context)
        return compose(params, context, server).shown()

    async def send(self, params: dict[str, Any], context: ActionContext) -> dict[str, Any]:
        problems = self.spec.problems(params)
        if problems:
            raise ConnectorError("; ".join(map(str, problems)))
        book = _keeping(context)
        if book is not None:
            return await _keep(book, compose(params, context, None), context)
        server = smtp.smtp_server(context)
        await smtp.check_configured_host(server, context)
        email = compose(params, context, server)
        mime = email.mime(context.idempotency_key, context.tenant_id)
        to = [recipient.addr_spec for recipient in email.recipients]
        refused, response = await smtp.send(server, mime, email.sender.addr_spec, to)
        return {
            "message_id": mime["Message-ID"],
            "recipients": to,
            "accepted": [recipient for recipient in to if recipient not in refused],
            "refused": refused,
            "response": response,
            "template": context.template,
        }


def _keeping(context: ActionContext) -> OutboxBook | None:
    """The dev outbox, when it keeps the step's message: no SMTP server is configured."""
    book = outbox(context)
    return book if book is not None and not smtp.configured(context) else None


async def _keep(book: OutboxBook, email: Email, context: ActionContext) -> dict[str, Any]:
    to = [recipient.addr_spec for recipient in email.recipients]
    letter = Letter("email", ", ".join(to), email.subject, email.text, email.html)
    kept = await keep(book, letter, context)
    return {"recipients": to, "template": context.template, **kept}
