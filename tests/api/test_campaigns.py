"""Campaigns over the API: lists with member counts, members in pages, scoped by tenant."""

import httpx

from app.models.tenant import Role
from app.resources import Resources
from tests.clock import now
from tests.conftest import key_for


async def test_campaigns_and_their_members_are_read_in_pages(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    for user_id in ("u3", "u1", "u2"):
        await resources.store.add_to_campaign("acme", "spring", user_id, now(), "Spring sale")
    await resources.store.add_to_campaign("acme", "autumn", "u1", now(), None)
    await resources.store.add_to_campaign("globex", "winter", "u9", now(), None)
    client.headers["Authorization"] = f"Bearer {await key_for(resources, 'acme', Role.VIEWER)}"
    listed = (await client.get("/api/campaigns")).json()
    assert [(c["campaign_id"], c["name"], c["members"]) for c in listed["items"]] == [
        ("autumn", "autumn", 1),
        ("spring", "Spring sale", 3),
    ]
    assert (await client.get("/api/campaigns/spring")).json()["members"] == 3
    page = (await client.get("/api/campaigns/spring/members", params={"limit": 2})).json()
    assert ([m["user_id"] for m in page["items"]], page["next_after"]) == (["u1", "u2"], "u2")
    rest = await client.get("/api/campaigns/spring/members", params={"after": "u2"})
    assert [m["user_id"] for m in rest.json()["items"]] == ["u3"]
    for path in ("/api/campaigns/winter", "/api/campaigns/winter/members"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "Campaign 'winter' was not found."
