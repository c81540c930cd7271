"""Inbound webhooks: real signed deliveries in each sender's scheme start runs once; bad
signatures, stale timestamps and unknown hooks store nothing."""

import base64
import hashlib
import hmac
import time
from typing import Any

import httpx
import orjson
import pytest

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for

STRIPE_SECRET = "whsec_test_7c1f0e"
STANDARD_KEY = base64.b64encode(b"standard-webhooks-key-32-bytes!!").decode()
PAID = {
    "workflow_id": "thank_buyer",
    "name": "Thank the buyer",
    "trigger": {"type": "payment_succeeded"},
    "actions": [{"id": "note", "type": "set", "data": {"amount": "{{ amount }}"}}],
}
STRIPE_BODY = {
    "id": "evt_1PX7",
    "type": "payment_intent.succeeded",
    "data": {"object": {"customer": "cus_42", "amount": 1999}},
}
MAPPING = {
    "user": {"id": "{{ body.data.object.customer }}"},
    "data": {"amount": "{{ body.data.object.amount }}"},
}


def digest(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def stripe_headers(
    body: bytes, secret: str = STRIPE_SECRET, at: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    signature = digest(secret.encode(), f"{stamp}.".encode() + body).hex()
    return {"Stripe-Signature": f"t={stamp},v1={signature}"}


def github_headers(body: bytes, secret: str, delivery: str) -> dict[str, str]:
    signature = "sha256=" + digest(secret.encode(), body).hex()
    return {"X-Hub-Signature-256": signature, "X-GitHub-Delivery": delivery}


def shopify_headers(body: bytes, secret: str, delivery: str) -> dict[str, str]:
    signature = base64.b64encode(digest(secret.encode(), body)).decode()
    return {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Webhook-Id": delivery}


def standard_headers(body: bytes, secret: str, delivery: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = base64.b64encode(digest(key, f"{delivery}.{stamp}.".encode() + body)).decode()
    return {"webhook-id": delivery, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signed}"}


async def hook(
    client: httpx.AsyncClient, scheme: str, secret: str | None, value: str | None = None
) -> str:
    if secret is not None:
        stored = await client.put(f"/api/secrets/{secret}", json={"value": value})
        assert stored.is_success, stored.text
    assert (await client.post("/api/workflows", json=PAID)).status_code == 201
    body = {
        "name": f"{scheme} payments",
        "event_type": "payment_succeeded",
        "verify": {"scheme": scheme, "secret": secret},
        "mapping": MAPPING,
    }
    response = await client.post("/api/hooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["url"] == f"/hooks/{created['hook_id']}"
    return str(created["url"])


async def deliver(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    # The sender holds no API key.
    return await client.post(url, content=body, headers=headers | {"Authorization": ""})


async def payments(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (
        await client.get("/api/events", params={"type": "payment_succeeded"})
    ).json()["items"]
    return items


async def test_a_signed_stripe_delivery_starts_one_run_however_often_it_comes(
    client: httpx.AsyncClient,
) -> None:
    url = await hook(client, "stripe", "STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
    body = orjson.dumps(STRIPE_BODY)
    first = await deliver(client, url, body, stripe_headers(body))
    assert first.status_code == 202, first.text
    assert first.json()["duplicate"] is False
    (event,) = await payments(client)
    assert event["event_id"] == first.json()["event_id"]
    assert (event["user_id"], event["workflow_ids"], len(event["run_ids"])) == (
        "cus_42",
        ["thank_buyer"],
        1,
    )
    detail = (await client.get(f"/api/events/{event['event_id']}")).json()
    assert detail["data"] == {"amount": 1999}

    again = await deliver(client, url, body, stripe_headers(body))  # Stripe retries, re-signed
    assert again.status_code == 202
    assert again.json() == {"event_id": event["event_id"], "duplicate": True}
    assert len(await payments(client)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        stripe_headers(orjson.dumps(STRIPE_BODY), secret="whsec_wrong"),
        {"Stripe-Signature": "v1=" + "0" * 64},
        {},
        stripe_headers(orjson.dumps(STRIPE_BODY), at=int(time.time()) - 3600),
    ],
    ids=["wrong-secret", "no-timestamp", "no-header", "stale"],
)
async def test_a_delivery_that_fails_verification_is_401_and_stores_nothing(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    url = await hook(client, "stripe", "STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)
    response = await deliver(client, url, orjson.dumps(STRIPE_BODY), headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"
    assert await payments(client) == []


@pytest.mark.parametrize(
    ("scheme", "secret", "sign"),
    [
        ("github", "gh-secret", github_headers),
        ("shopify", "shp-secret", shopify_headers),
        ("standard_webhooks", f"whsec_{STANDARD_KEY}", standard_headers),
    ],
)
async def test_each_scheme_takes_its_signed_deliveries_once_and_refuses_forgeries(
    client: httpx.AsyncClient, scheme: str, secret: str, sign: Any
) -> None:
    url = await hook(client, scheme, "SIGNING_SECRET", secret)
    body = orjson.dumps(STRIPE_BODY)
    for _ in range(2):
        accepted = await deliver(client, url, body, sign(body, secret, "delivery-1"))
        assert accepted.status_code == 202, accepted.text
    assert accepted.json()["duplicate"] is True
    wrong = "whsec_" + base64.b64encode(b"another key").decode() if "whsec_" in secret else "x"
    forged = await deliver(client, url, body, sign(body, wrong, "delivery-2"))
    assert forged.status_code == 401
    tampered = await deliver(client, url, body + b" ", sign(body, secret, "delivery-3"))
    assert tampered.status_code == 401
    (event,) = await payments(client)
    assert (event["user_id"], len(event["run_ids"])) == ("cus_42", 1)


async def test_a_token_hook_needs_only_its_url(client: httpx.AsyncClient) -> None:
    url = await hook(client, "token", None)
    body = orjson.dumps(STRIPE_BODY)
    assert (await deliver(client, url, body, {"Idempotency-Key": "d1"})).status_code == 202
    assert (await deliver(client, url, body, {"Idempotency-Key": "d1"})).json()["duplicate"]
    assert (await deliver(client, url + "x", body, {})).status_code == 404
    not_json = await deliver(client, url, b"amount=1999", {})
    assert not_json.status_code == 422
    assert len(await payments(client)) == 1


async def test_a_mapping_reading_what_a_delivery_lacks_names_the_delivery(
    client: httpx.AsyncClient,
) -> None:
    url = await hook(client, "token", None)
    answer = await deliver(client, url, orjson.dumps({"id": "evt_1"}), {})
    assert answer.status_code == 422
    assert "body.data is not in the delivery; its body has id" in answer.json()["error"]["message"]
    assert await payments(client) == []


async def test_hooks_are_checked_audited_and_kept_per_tenant(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    missing = {"name": "x", "event_type": "paid", "verify": {"scheme": "github", "secret": "NOPE"}}
    response = await client.post("/api/hooks", json=missing)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "verify", "secret"]
    # The Hooks tab shows this answer: the Studio's way to store it first.
    assert response.json()["error"]["message"] == (
        "The hook's signing secret 'NOPE' is not stored: store it first in the Studio under "
        "Governance → Secrets, or with PUT /api/secrets/NOPE."
    )
    for verify in ({"scheme": "token", "secret": "X"}, {"scheme": "github"}):
        body = missing | {"verify": verify}
        assert (await client.post("/api/hooks", json=body)).status_code == 422
    assert (await client.put("/api/secrets/NOT_B64", json={"value": "whsec_%%%"})).is_success
    standard = missing | {"verify": {"scheme": "standard_webhooks", "secret": "NOT_B64"}}
    refused = (await client.post("/api/hooks", json=standard)).json()["error"]
    assert "whsec_ followed by base64" in refused["message"]
    bad_mapping = missing | {"verify": {"scheme": "token"}, "mapping": {"typo": "x"}}
    assert (await client.post("/api/hooks", json=bad_mapping)).status_code == 422

    url = await hook(client, "token", None)
    hook_id = url.rsplit("/", 1)[1]
    editor = await auth_for(resources, "acme", Role.EDITOR)
    assert (await client.get("/api/hooks", headers=editor)).status_code == 403
    globex = await auth_for(resources, "globex", Role.ADMIN)
    assert (await client.get(f"/api/hooks/{hook_id}", headers=globex)).status_code == 404
    assert (await client.delete(f"/api/hooks/{hook_id}", headers=globex)).status_code == 404
    assert [h["hook_id"] for h in (await client.get("/api/hooks")).json()["items"]] == [hook_id]
    assert (await client.delete(f"/api/hooks/{hook_id}")).status_code == 204
    assert (await deliver(client, url, b"{}", {})).status_code == 404
    audit = (await client.get("/api/audit", params={"entity_type": "hook"})).json()["items"]
    assert [a["action"] for a in audit] == ["hook.delete", "hook.create"]
