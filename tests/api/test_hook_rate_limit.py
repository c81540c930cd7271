"""``/hooks/{hook_id}``: each hook's own rate limit, counted in the real Redis."""

import httpx
import orjson
import pytest

from app.settings import Settings
from tests.api.test_hooks import MAPPING, STRIPE_BODY, deliver, hook, payments


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"hook_rate_limit": 3, "hook_rate_limit_window": 60})


async def test_a_hook_over_its_limit_is_a_429_and_other_hooks_go_on(
    client: httpx.AsyncClient,
) -> None:
    url = await hook(client, "token", None)
    body = orjson.dumps(STRIPE_BODY)
    for n in range(3):
        sent = await deliver(client, url, body, {"Idempotency-Key": f"d{n}"})
        assert sent.status_code == 202, sent.text
    refused = await deliver(client, url, body, {"Idempotency-Key": "d3"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "AUTOMATOR_HOOK_RATE_LIMIT" in refused.json()["error"]["message"]

    other = {"name": "other", "event_type": "payment_succeeded", "mapping": MAPPING}
    created = await client.post("/api/hooks", json=other | {"verify": {"scheme": "token"}})
    assert created.status_code == 201, created.text
    sent = await deliver(client, created.json()["url"], body, {"Idempotency-Key": "o1"})
    assert sent.status_code == 202
    assert len(await payments(client)) == 4, "the refused delivery stored nothing"
