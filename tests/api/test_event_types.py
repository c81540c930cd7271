"""``GET /api/events/types``: the event types a trigger may pick, received by the tenant or
listened to by its active workflows, each with those workflows; bounded and the tenant's own.
Before, a trigger's event type was free text with nothing offered, and a typo started nothing."""

import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for, send

CART = {
    "workflow_id": "cart_recovery",
    "name": "Cart recovery",
    "trigger": {"type": "abandoned_cart"},
    "actions": [{"id": "note", "type": "log", "data": {"message": "cart"}}],
    "settings": {
        "cancel_on": [{"event": "purchase_completed", "match": {"user.id": "{{user.id}}"}}]
    },
}


async def test_types_received_and_listened_to_are_offered_with_their_workflows(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/api/workflows", json=CART)).status_code == 201
    await send(client, {"type": "user_signup", "user": {"id": "u1"}})
    await send(client, {"type": "purchase_completed", "user": {"id": "u1"}})
    await send(client, {"type": "user_signup", "user": {"id": "u2"}})

    found = await client.get("/api/events/types")

    assert found.status_code == 200, found.text
    assert found.json() == {
        "items": [
            {"type": "abandoned_cart", "received": False, "workflows": ["cart_recovery"]},
            {"type": "purchase_completed", "received": True, "workflows": ["cart_recovery"]},
            {"type": "user_signup", "received": True, "workflows": []},
        ],
        "more": False,
    }
    first = (await client.get("/api/events/types", params={"limit": 1})).json()
    assert ([one["type"] for one in first["items"]], first["more"]) == (["abandoned_cart"], True)


async def test_another_tenants_types_are_not_offered_and_an_ingest_key_reads_none(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    globex = await auth_for(resources, "globex", Role.ADMIN)
    sent = await client.post("/api/events", json={"type": "globex_only"}, headers=globex)
    assert sent.status_code == 202, sent.text
    viewer = await auth_for(resources, "acme", Role.VIEWER)

    seen = await client.get("/api/events/types", headers=viewer)

    assert seen.json() == {"items": [], "more": False}
    ingest = await auth_for(resources, "acme", Role.INGEST)
    assert (await client.get("/api/events/types", headers=ingest)).status_code == 403
