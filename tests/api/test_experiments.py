"""``GET /api/workflows/{workflow_id}/experiments``: runs and goal conversions per split and
variant, with the rate's interval and the uplift against the holdout."""

from typing import Any

import httpx
import pytest

from app.experiments import wilson
from app.models.run import RunFilter
from app.models.workflow import Page
from app.resources import Resources
from app.settings import Settings
from tests.conftest import drain, send

TRIAL = {
    "workflow_id": "trial",
    "name": "Trial",
    "trigger": {"type": "signup"},
    "actions": [
        {
            "id": "subject",
            "type": "split",
            "data": {"holdout": 30, "key": "{{ user.id }}"},
            "variants": [
                {
                    "name": "short",
                    "weight": 1,
                    "actions": [{"type": "log", "data": {"message": "s"}}],
                },
                {
                    "name": "long",
                    "weight": 1,
                    "actions": [{"type": "log", "data": {"message": "l"}}],
                },
            ],
        },
    ],
    "settings": {"goal": {"event": "purchase", "match": {"user.id": "{{ user.id }}"}}},
}


def test_the_wilson_interval_holds_the_rate_and_stays_in_0_1() -> None:
    low, high = wilson(10, 100) or (0.0, 0.0)
    assert low < 0.1 < high
    assert (round(low, 3), round(high, 3)) == (0.055, 0.174)
    assert wilson(0, 5) is not None
    assert wilson(0, 5)[0] == 0.0  # type: ignore[index]
    assert wilson(0, 0) is None


async def test_conversions_are_counted_per_variant_against_the_holdout(
    client: httpx.AsyncClient, resources: Resources, settings: Settings
) -> None:
    assert (await client.post("/api/workflows", json=TRIAL)).status_code == 201
    for n in range(30):
        await send(client, {"type": "signup", "user": {"id": f"u{n}"}})
    for n in range(0, 30, 3):  # every third user buys (the goal listens from the start)
        await send(client, {"type": "purchase", "user": {"id": f"u{n}"}})
    await drain(settings)
    runs = await resources.store.list_runs("acme", RunFilter(workflow_id="trial"), Page(100))
    expected: dict[str, list[int]] = {}
    for run in runs:
        tally = expected.setdefault(run.variants["subject"], [0, 0])
        tally[0] += 1
        tally[1] += run.converted is not None

    response = await client.get("/api/workflows/trial/experiments")
    assert response.status_code == 200, response.text
    (split,) = response.json()["splits"]
    assert split["split_id"] == "subject"
    variants: dict[str, dict[str, Any]] = {v["variant"]: v for v in split["variants"]}
    assert [v["variant"] for v in split["variants"]][-1] == "holdout"
    assert {name: [v["runs"], v["conversions"]] for name, v in variants.items()} == expected
    assert sum(v["conversions"] for v in variants.values()) == 10
    holdout = variants["holdout"]
    assert holdout["uplift"] is None
    for name in ("short", "long"):
        one = variants[name]
        assert one["conversion_rate"] == pytest.approx(one["conversions"] / one["runs"])
        assert one["confidence_low"] <= one["conversion_rate"] <= one["confidence_high"]
        if holdout["conversion_rate"]:
            gap = one["conversion_rate"] - holdout["conversion_rate"]
            assert one["uplift_absolute"] == pytest.approx(gap)
            assert one["uplift"] == pytest.approx(gap / holdout["conversion_rate"])
    assert (await client.get("/api/workflows/nope/experiments")).status_code == 404
