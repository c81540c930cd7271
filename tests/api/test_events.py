"""Event ingestion at the edge: what is refused, with which error."""

import httpx


async def test_events_refuse_values_no_store_can_keep(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/events", json={"type": "x", "data": {"n": 2**64}})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["loc"] == ["body", "data"]
    assert "outside -2**63" in detail["msg"]
    deep: dict[str, object] = {}
    for _ in range(100):
        deep = {"d": deep}
    assert (await client.post("/api/events", json={"type": "x", "data": deep})).status_code == 422
