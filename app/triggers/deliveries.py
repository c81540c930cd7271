"""Checking that a webhook delivery comes from its sender, in each sender's scheme, and
naming the delivery so a repeat is recognised. Pure: the secret and the clock are passed in.

Signatures are compared in constant time; a scheme that signs a timestamp refuses one
outside the hook's tolerance (a captured delivery replayed later), and a missing or malformed
header is refused like a wrong signature, with a message that says which header and why.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.errors import Unauthenticated
from app.models.hook import HookScheme

# The header that names a delivery in each scheme (Stripe names it in the body: its "id").
DELIVERY_HEADERS = {
    HookScheme.GITHUB: "x-github-delivery",
    HookScheme.SHOPIFY: "x-shopify-webhook-id",
    HookScheme.STANDARD: "webhook-id",
    HookScheme.IN_PATH: "idempotency-key",
}


@dataclass(frozen=True)
class Delivery:
    """A request to ``/hooks/{hook_id}``: its headers (names in lower case) and raw body."""

    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        value = self.headers.get(name)
        if not value:
            raise Unauthenticated(f"The delivery has no {name} header; it cannot be verified.")
        return value


def verify(
    scheme: HookScheme, secret: str | None, delivery: Delivery, tolerance: int, now: datetime
) -> None:
    """Return if ``delivery`` is signed with ``secret`` in ``scheme`` within ``tolerance``
    seconds of ``now``; raise Unauthenticated (401) saying why not."""
    if scheme == HookScheme.IN_PATH:
        return
    assert secret is not None, "a signing scheme always has a secret"
    if scheme == HookScheme.STRIPE:
        _stripe(secret, delivery, tolerance, now)
    elif scheme == HookScheme.GITHUB:
        given = delivery.header("x-hub-signature-256").removeprefix("sha256=")
        _check([given], _hmac(secret.encode(), delivery.body).hex())
    elif scheme == HookScheme.SHOPIFY:
        expected = base64.b64encode(_hmac(secret.encode(), delivery.body)).decode()
        _check([delivery.header("x-shopify-hmac-sha256")], expected)
    else:
        _standard(secret, delivery, tolerance, now)


def _stripe(secret: str, delivery: Delivery, tolerance: int, now: datetime) -> None:
    parts = [p.partition("=") for p in delivery.header("stripe-signature").split(",")]
    stamps = [value for key, _, value in parts if key.strip() == "t"]
    if not stamps or not stamps[0].isdigit():
        raise Unauthenticated("The Stripe-Signature header has no timestamp (t=).")
    _fresh(int(stamps[0]), tolerance, now)
    signed = stamps[0].encode() + b"." + delivery.body
    _check(
        [value for key, _, value in parts if key.strip() == "v1"],
        _hmac(secret.encode(), signed).hex(),
    )


def _standard(secret: str, delivery: Delivery, tolerance: int, now: datetime) -> None:
    """Standard Webhooks: the secret is ``whsec_`` + base64 of the key."""
    delivery_id = delivery.header("webhook-id")
    stamp = delivery.header("webhook-timestamp")
    if not stamp.isdigit():
        raise Unauthenticated("The webhook-timestamp header is not a number of seconds.")
    _fresh(int(stamp), tolerance, now)
    key = standard_key(secret)
    signed = f"{delivery_id}.{stamp}.".encode() + delivery.body
    expected = base64.b64encode(_hmac(key, signed)).decode()
    given = [sig.partition(",")[2] for sig in delivery.header("webhook-signature").split()]
    _check(given, expected)


def standard_key(secret: str) -> bytes:
    """A Standard Webhooks secret's key: ``whsec_`` + base64 (ValueError if it is not)."""
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise ValueError("a Standard Webhooks secret is whsec_ followed by base64") from exc


def delivery_id(scheme: HookScheme, delivery: Delivery, body: object) -> str | None:
    """The sender's name for this delivery, the same on every retry of it: a header, or for
    Stripe the event's ``id`` in the body. None when the delivery has none."""
    if scheme == HookScheme.STRIPE:
        found = body.get("id") if isinstance(body, dict) else None
        return found if isinstance(found, str) and found else None
    return delivery.headers.get(DELIVERY_HEADERS[scheme]) or None


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _check(given: list[str], expected: str) -> None:
    # Every candidate compared (several during a sender's secret rotation), in constant time.
    if not any(hmac.compare_digest(one.strip().encode(), expected.encode()) for one in given):
        raise Unauthenticated("The delivery's signature does not match the hook's secret.")


def _fresh(stamp: int, tolerance: int, now: datetime) -> None:
    age = now.timestamp() - stamp
    if abs(age) > tolerance:
        raise Unauthenticated(
            f"The delivery was signed {int(age)} s from now, outside the hook's tolerance of "
            f"{tolerance} s: a replay, or a clock far off."
        )
