"""The example workflows (examples/workflows) as a newcomer meets them: imported with the
message templates they name, each warns of nothing, and a dry run of an event carrying
what it reads completes without a failed step."""

from typing import Any

import httpx
import pytest

from app.models import jsonc
from app.settings import Settings
from tests.api.test_outbox import TEMPLATES as README_TEMPLATES
from tests.api.test_outbox import USER as SIGNUP_USER
from tests.conftest import SEEDS

# The templates as the README makes them (README_TEMPLATES); the others greet by
# `user_name`, as those do and as every example's email passes it.
GREETING = {"subject": "Hi {{ user_name }}", "text": "Hi {{ user_name }}, more inside."}
USER = SIGNUP_USER | {"lastActivity": "2026-11-01"}
DATA = {"cart_value": 75, "cart": {"items": ["book"], "total": 75}, "days_since_last_activity": 8}
EXAMPLES = sorted(SEEDS.glob("*.json"))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As `automator dev` runs: channels with no provider deliver to the outbox."""
    return settings.model_copy(update={"outbox": True})


def named_templates() -> set[str]:
    return {
        action["template"]
        for path in EXAMPLES
        for action in jsonc.loads(path.read_bytes())["actions"]
        if "template" in action
    }


async def make_templates(client: httpx.AsyncClient) -> None:
    made = {template["name"] for template in README_TEMPLATES}
    others = [{"name": name, **GREETING} for name in sorted(named_templates() - made)]
    for template in [*README_TEMPLATES, *others]:
        created = await client.post("/api/templates", json=template)
        assert created.status_code == 201, created.text


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
async def test_an_example_with_its_templates_warns_of_nothing_and_dry_runs_to_the_end(
    client: httpx.AsyncClient, path: Any
) -> None:
    await make_templates(client)
    files = [("files", (path.name, path.read_bytes(), "application/json"))]
    imported = await client.post("/api/workflows/import", files=files)
    (result,) = imported.json()["results"]
    assert (result["status"], result["warnings"]) == ("created", [])

    trigger = jsonc.loads(path.read_bytes())["trigger"]["type"]
    event = {"type": trigger, "user": USER, "data": DATA}
    tested = await client.post(
        f"/api/workflows/{result['workflow_id']}/test", json={"event": event}
    )
    trial = tested.json()
    assert (trial["matched"], trial["status"], trial["error"]) == (True, "completed", None)
    failed = [entry for entry in trial["trace"] if entry.get("status") == "failed"]
    assert failed == []
