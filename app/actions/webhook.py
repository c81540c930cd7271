"""``webhook_call``: an HTTP request to any URL the guard allows, signed in the Standard
Webhooks scheme (https://www.standardwebhooks.com/) so receivers can verify it.

Every attempt of a step carries the same ``Idempotency-Key`` and ``webhook-id`` (the step's
idempotency key) and a fresh ``webhook-timestamp``: a receiver keeps the ids it has handled
and drops a repeat, and refuses a timestamp too far from its clock.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import unquote_plus, urlencode

import httpx

from app.actions.base import (
    ActionContext,
    ActionSpec,
    ConnectorAdapter,
    ConnectorError,
    templated,
)
from app.actions.net import (
    FRAMING,
    REDIRECTS,
    Answer,
    ConnectorClient,
    Outgoing,
    Target,
    redirect,
    status_error,
    transport_error,
)
from app.errors import place, shown
from app.models import jsonc
from app.models.patterns import URL_SCHEME_PATTERN

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MAX_PORT = 65535  # TCP's highest
# Headers that go along on a redirect hop to another origin: the step's key and the body's
# type. The signature stays with the origin it was made for: another host holding it could
# replay the delivery to the receiver the step named.
CROSS_ORIGIN = frozenset({"idempotency-key", "content-type"})
SIGNATURE = ("webhook-id", "webhook-timestamp", "webhook-signature")
IDEMPOTENCY_KEY = "Idempotency-Key"
# The caller's headers that ours replace, by whether the call is signed.
OURS = {False: frozenset({"idempotency-key"}), True: frozenset({"idempotency-key", *SIGNATURE})}
# What a header's name and value may be on the wire (RFC 9110's token; visible ASCII, spaces
# and tabs): a line break or a NUL would end the header early.
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
# A JSON body as it is sent and signed: compact, not ASCII-escaped (one encoder for every
# call, not one made per call as ``json.dumps`` with options makes it).
COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# Where the answer's body sits in the step's output: ``output["body"]``.
BODY_DEPTH = 2
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks marker of a base64 secret

INPUTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "url": {
            "type": "string",
            "pattern": URL_SCHEME_PATTERN,
            "maxLength": 8192,
            "description": "http:// or https:// URL; the address guard judges its host.",
        },
        "method": {"enum": list(METHODS), "default": "POST"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "query": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
            "description": "Merged into the URL's own query string: a name given here "
            "replaces every parameter of that name in the URL.",
        },
        "json": {"description": "A JSON body (sent compact, as signed)."},
        "body": {"type": "string", "description": "A raw body, instead of json."},
        "timeout": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Seconds per network operation; the step's timeout bounds "
            "the whole call.",
        },
        "follow_redirects": {
            "type": "boolean",
            "default": True,
            "description": "Follow redirects (AUTOMATOR_HTTP_MAX_REDIRECTS); every hop is guarded.",
        },
        "signing_secret": {
            "type": "string",
            "minLength": 1,
            "description": "whsec_<base64> or any string; overrides the "
            "connector configuration's signing_secret.",
        },
    },
    "required": ["url"],
    "additionalProperties": False,
    # json and body exclude each other: "data.body: 'x' is expected to be empty".
    "dependentSchemas": {"json": {"properties": {"body": {"maxLength": 0}}}},
}
OUTPUTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "integer"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "body": {"description": "Parsed when the answer is JSON, else text."},
    },
}

SPEC = ActionSpec(
    inputs=INPUTS,
    outputs=OUTPUTS,
    description="Call a URL with an Idempotency-Key and a Standard Webhooks signature; "
    "5xx, 429 and network errors are retried, other 4xx fail the step.",
)


def signing_key(secret: str) -> bytes:
    """The HMAC key: a ``whsec_`` secret is base64; any other string is used as it is."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode()
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ConnectorError("the signing secret starts with whsec_ but is not base64") from None


def signature_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` for ``body``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.digest(signing_key(secret), signed, hashlib.sha256)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
    }


@dataclass  # not frozen: one per call, and a frozen __init__ costs three times a plain one's
class Call:
    """One webhook request, as it will be signed and sent: ``headers`` are the caller's
    (and the body's type when the caller gave none)."""

    method: str
    target: Target
    headers: tuple[tuple[str, str], ...]
    body: bytes
    timeout: float | None
    follow_redirects: bool

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> "Call":
        url = params.get("url")
        if not isinstance(url, str):
            raise ConnectorError("data.url: an http:// or https:// URL is required")
        target = _parsed(url)
        given = params.get("headers")
        headers = _caller_headers(given) if given else ()
        body, content_type = _body(params)
        if content_type and not (headers and _typed(headers)):
            headers = (*headers, ("Content-Type", content_type))
        timeout = params.get("timeout")
        query = params.get("query")
        if query:  # the URL parsed is kept for every call; the one merged is this call's
            target = Target.of(merged(target.url, {str(n): _text(v) for n, v in query.items()}))
        method = params.get("method")
        return cls(
            method=_method(method) if method else "POST",
            target=target,
            headers=headers,
            body=body,
            timeout=float(timeout) if timeout is not None else None,
            follow_redirects=bool(params.get("follow_redirects", True)),
        )

    @property
    def what(self) -> str:
        """How errors name the call: the host only, since paths and queries may hold tokens."""
        return f"{self.method} to {self.target.host}"


def _method(given: Any) -> str:
    """The call's method; a templated one is only known here, after the save's checks."""
    method = str(given).upper()
    if method not in METHODS:
        raise ConnectorError(f"data.method: must be one of {', '.join(METHODS)}")
    return method


def _typed(headers: tuple[tuple[str, str], ...]) -> bool:
    """Whether the caller's headers name the body's type."""
    return any(name.lower() == "content-type" for name, _ in headers)


@lru_cache(maxsize=1024)
def _parsed(url: str) -> Target:
    """``url`` checked and parsed, and what it comes to on the wire; kept, since a
    workflow's steps call the same URLs."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConnectorError(
            f"data.url: not a URL ({exc}); write it as http://host:port/path, the port "
            "optional, an IPv6 address in brackets (http://[::1]:8080/)"
        ) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConnectorError("data.url: must be an http:// or https:// URL with a host")
    # httpx parses any number of digits as the port; a templated URL is first seen here.
    if parsed.port is not None and not 0 < parsed.port <= MAX_PORT:
        raise ConnectorError(
            f"data.url: port {parsed.port} is not a TCP port; write a port from 1 to "
            f"{MAX_PORT}, or none for the scheme's default"
        )
    return Target.of(parsed)


def _caller_headers(given: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The caller's headers, refused (naming the header, never quoting its value, which may
    hold a secret) when they could not go on the wire as given: h11 would refuse them mid-call
    as a network error, retried in vain."""
    if not given:
        return ()
    headers = tuple((str(name), str(value)) for name, value in given.items())
    for name, value in headers:
        if not HEADER_NAME.fullmatch(name):
            raise ConnectorError(
                f"data.headers: {shown(name)} is not a header name (letters, digits and "
                "!#$%&'*+-.^_`|~ only)"
            )
        where = place(("data", "headers", name))
        if not value.isascii():
            raise ConnectorError(f"{where}: a header can hold ASCII characters only")
        if not HEADER_VALUE.fullmatch(value):
            raise ConnectorError(
                f"{where}: a header value can hold printable characters, spaces and tabs only "
                "(no line breaks)"
            )
        if name.lower() in FRAMING:
            raise ConnectorError(f"{where}: set by the call from its body; remove it")
    return headers


def merged(url: httpx.URL, query: Mapping[str, str]) -> httpx.URL:
    """``url`` with ``query`` merged into its query string: a name in ``query`` replaces every
    parameter of that name in the URL; the URL's other parameters keep their order and their
    exact spelling (a presigned URL's encoding matters to the host that signed it)."""
    if not query:
        return url
    kept = [
        part
        for part in url.query.decode("ascii").split("&")
        if part and unquote_plus(part.split("=", 1)[0]) not in query
    ]
    return url.copy_with(query="&".join([*kept, urlencode(query)]).encode("ascii"))


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _body(params: Mapping[str, Any]) -> tuple[bytes, str | None]:
    """The exact bytes sent and signed, and the Content-Type they go with."""
    if "json" in params:
        if "body" in params:
            raise ConnectorError("data: give json or body, not both")
        return COMPACT.encode(params["json"]).encode(), "application/json"
    if "body" in params:
        return str(params["body"]).encode(), "text/plain; charset=utf-8"
    return b"", None


def _secret(params: Mapping[str, Any], context: ActionContext) -> str | None:
    secret = params.get("signing_secret") or context.config.get("signing_secret")
    if secret is None or isinstance(secret, str):
        return secret or None
    raise ConnectorError("signing_secret must be a string (an unresolved secret reference?)")


def _output(answer: Answer) -> dict[str, Any]:
    """The step's output: the answer's status, headers and body (``_decoded``), marked as
    storable as it is (``jsonc.Stored``) when its body is."""
    body, stored = _decoded(answer)
    output = {"status": answer.status_code, "headers": dict(answer.headers), "body": body}
    return jsonc.Stored(output) if stored else output


def _decoded(response: Answer) -> tuple[Any, bool]:
    """The body as JSON when it says it is JSON and parses, else as text; and whether it
    is as ``jsonc.storable`` would make it, so need not be walked. The headers always are
    (text decoded from bytes, no lone surrogate)."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return jsonc.stored_json(response.content, BODY_DEPTH), True
        except ValueError:
            pass
        try:
            return response.json(), False
        except ValueError:
            pass
    text = response.text
    return text, jsonc.stored_text(text)


class WebhookConnector(ConnectorAdapter):
    code = "webhook"
    name = "Webhook"
    description = "Signed HTTP calls to any endpoint the address guard allows."
    actions: ClassVar[Mapping[str, ActionSpec]] = {"webhook_call": SPEC}

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        if action != "webhook_call":
            raise ConnectorError(f"the webhook connector has no action {action!r}")
        http = context.services.http
        if not isinstance(http, ConnectorClient):
            raise ConnectorError("no HTTP client is configured for connectors")
        call = Call.of(params)
        secret = _secret(params, context)
        own = _own(context.idempotency_key, secret, call.body)
        kept = _kept(call.headers, signed=secret is not None)
        outgoing = Outgoing(call.method, call.target, kept, call.body, own)
        try:
            answer = await http.exchange(outgoing, call.timeout)
            if call.follow_redirects and answer.status_code in REDIRECTS:
                answer = await _follow(http, outgoing, answer, call)
        except httpx.HTTPError as exc:
            raise transport_error(exc, call.what) from exc
        if answer.status_code >= 400:
            raise status_error(answer, call.what)
        return _output(answer)

    def unready(self, action: str, params: Mapping[str, Any], context: ActionContext) -> str | None:
        """A URL the call would refuse to parse (``http://[::1``), or whose host the address
        guard refuses before resolving it (127.0.0.1, 10.0.0.5, a metadata name): the call
        would fail, whatever the endpoint answers."""
        url = params.get("url")
        if not isinstance(url, str):
            return None  # no URL: the spec's check names it
        try:
            target = _parsed(url)
        except ConnectorError as refused:
            return None if templated(url) else refused.message  # a template: once rendered
        guard = context.services.guard
        return None if guard is None else guard.refusal_unresolved(target.host)


def _own(key: str, secret: str | None, body: bytes) -> tuple[tuple[str, str], ...]:
    """The call's own headers: the step's idempotency key, and the signature of ``body``
    when a secret signs it."""
    if secret is None:
        return ((IDEMPOTENCY_KEY, key),)
    # The receiver checks the stamp against its own clock: the machine's time.
    stamp = int(time.time())  # noqa: TID251
    return ((IDEMPOTENCY_KEY, key), *signature_headers(secret, key, stamp, body).items())


@lru_cache(maxsize=1024)
def _kept(headers: tuple[tuple[str, str], ...], *, signed: bool) -> tuple[tuple[str, str], ...]:
    """The caller's headers but those ours replace (any of the same name); kept, since a
    step sends the same ones on every call."""
    ours = OURS[signed]
    return tuple((name, value) for name, value in headers if name.lower() not in ours)


async def _follow(http: ConnectorClient, sent: Outgoing, answer: Answer, call: Call) -> Answer:
    """Follow the redirect ``answer`` is, one hop at a time. A hop to another origin loses the
    caller's headers and the signature: they may carry a credential meant only for the host
    named in the step (httpx drops only ``Authorization``)."""
    for _ in range(http.max_redirects):
        following = redirect(sent, answer)
        if following is None:
            return answer
        sent = _hop(sent, following, call.headers)
        answer = await http.exchange(sent, call.timeout)
    if redirect(sent, answer) is None:
        return answer
    raise httpx.TooManyRedirects(f"over {http.max_redirects} redirects")


def _hop(sent: Outgoing, following: Outgoing, caller: tuple[tuple[str, str], ...]) -> Outgoing:
    if _origin(following.url) == _origin(sent.url):
        return following
    dropped = {name.lower() for name, _ in caller} | set(SIGNATURE)
    dropped -= CROSS_ORIGIN
    headers = tuple(
        (name, value) for name, value in following.headers if name.lower() not in dropped
    )
    return replace(following, headers=headers)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port
