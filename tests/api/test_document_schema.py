"""The workflow document in /openapi.json against what the server takes: the action types
this deployment accepts, and every documented workflow and example fitting the schema."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from app.actions.registry import action_types
from app.main import create_app
from app.models import jsonc
from app.settings import Settings
from tests.conftest import SEEDS
from tests.test_docs import WORKFLOW_PARTS, Block, all_blocks, minimal_workflow


def accepted_types(settings: Settings) -> set[str]:
    action = create_app(settings).openapi()["components"]["schemas"]["Action"]
    return set(action["properties"]["type"]["enum"])


def test_the_schema_lists_the_action_types_the_deployment_accepts(settings: Settings) -> None:
    assert accepted_types(settings) == action_types() - {"file", "shell"}
    enabled = settings.model_copy(update={"local_tasks": ["shell"]})
    assert accepted_types(enabled) == action_types() - {"file"}


@pytest.mark.parametrize(
    ("action_type", "status"), [("log", 201), ("send_fax", 422), ("shell", 422)]
)
async def test_the_server_takes_the_types_the_schema_lists(
    client: httpx.AsyncClient, action_type: str, status: int
) -> None:
    document = minimal_workflow(workflow_id="typed", actions=[{"type": action_type}])
    answer = await client.post("/api/workflows", json=document)
    assert answer.status_code == status, answer.text


async def test_an_unknown_type_is_a_422_naming_the_field_and_the_known_types(
    client: httpx.AsyncClient,
) -> None:
    document = minimal_workflow(workflow_id="typed", actions=[{"type": "send_fax"}])
    answer = await client.post("/api/workflows", json=document)
    (detail,) = answer.json()["error"]["details"]
    assert detail["loc"] == ["actions", 0, "type"]
    assert detail["msg"].startswith("unknown action type 'send_fax'; valid types: add_to_campaign")


@pytest.fixture(scope="module")
def schema() -> Draft202012Validator:
    """The document's schema in a deployment with every action type (as docs/ shows them)."""
    settings = Settings(local_tasks=["file", "shell"], _env_file=None)
    components = create_app(settings).openapi()["components"]
    document = {"$ref": "#/components/schemas/WorkflowDocument", "components": components}
    return Draft202012Validator(document)


def as_document(value: Any) -> dict[str, Any] | None:
    """The workflow document an example shows (a whole one, parts of one, or one action)."""
    if not isinstance(value, dict):
        return None
    if {"trigger", "actions"} <= value.keys():
        return value
    if value and value.keys() <= WORKFLOW_PARTS:
        return minimal_workflow(**value)
    if value.get("type") in action_types():
        return minimal_workflow(actions=[value])
    return None


def documented() -> list[Any]:
    """The docs' examples showing a workflow or a part of one (tests/test_docs.py checks
    each against the server's own parser) and the example workflows."""
    found = []
    for param in all_blocks("json", "jsonc"):
        block: Block = param.values[0]
        document = as_document(jsonc.loads(block.text))
        if document is not None and block.marker != "fragment":
            found.append(pytest.param(document, id=block.where))
    for path in sorted(SEEDS.glob("*.json")):
        found.append(pytest.param(jsonc.loads(path.read_bytes()), id=str(Path(path.name))))
    return found


@pytest.mark.parametrize("document", documented())
def test_every_documented_workflow_fits_the_schema(
    document: dict[str, Any], schema: Draft202012Validator
) -> None:
    # Operator symbols (">=") in conditions were refused by the schema, taken by the server.
    assert [error.message[:300] for error in schema.iter_errors(document)] == []
