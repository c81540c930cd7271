"""What schemathesis (all checks) found where the server and its OpenAPI document disagreed,
each fixed on the side that was wrong, and checked here on the real app."""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from app.redis_server import LocalRedisServer
from tests.clock import ShiftedClock
from tests.conftest import as_admin, clean_settings, flushed, serving

JSON = {"content-type": "application/json"}
# One app for the module, in one event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(
    tmp_path_factory: pytest.TempPathFactory, redis_server: LocalRedisServer
) -> AsyncIterator[httpx.AsyncClient]:
    """An admin's client of one app for all the module's tests: an app's first request
    builds its routes and OpenAPI document, seconds of CPU per test. The tests read the
    document and send what it refuses; the one write (a tenant's throttle) none reads."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        data_dir = tmp_path_factory.mktemp("schema_rules")
        settings = clean_settings(data_dir, flushed(redis_server), monkeypatch)
        async with serving(settings, ShiftedClock()) as served:
            yield await as_admin(*served)


async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


@pytest.mark.parametrize("route", ["/api/keys", "/api/triggers/test", "/api/workflows/import"])
async def test_a_body_that_cannot_be_read_is_a_422_naming_the_body(
    client: httpx.AsyncClient, route: str
) -> None:
    # Bytes that are not UTF-8 (and broken multipart data) were a 400 `http_error`.
    headers = JSON
    body = b"\xff\xfe{\x15"
    if route.endswith("import"):
        headers = {"content-type": "multipart/form-data; boundary=b"}
        body = b"--b\r\nTrue--b--\r\n"
    answer = await client.post(route, content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["loc"] == ["body"]


async def test_allow_names_the_methods_of_the_most_specific_path(client: httpx.AsyncClient) -> None:
    # /api/integrations/test is its own resource, not an integration named "test".
    answer = await client.request("OPTIONS", "/api/integrations/test")
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")
    answer = await client.request("OPTIONS", "/api/integrations/webhook")
    assert answer.headers["allow"] == "DELETE, GET, PUT"


@pytest.mark.parametrize(
    ("path", "allow"),
    [("/api/runs/bulk/job1", "GET"), ("/api/runs/run1/variables", "PATCH")],
)
async def test_a_run_command_route_does_not_swallow_its_neighbours(
    client: httpx.AsyncClient, path: str, allow: str
) -> None:
    # POST /api/runs/{run_id}/{command} caught these and answered 422 "unknown command".
    answer = await client.post(path, json={})
    assert (answer.status_code, answer.headers["allow"]) == (405, allow)


async def test_series_times_are_iso_8601_only(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/stats/series", params={"until": "0.5"})
    assert answer.status_code == 422
    assert answer.json()["error"]["details"][0]["loc"] == ["query", "until"]


async def test_validate_without_a_body_is_a_422(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/workflows/validate")).status_code == 422


async def test_the_schema_states_rules_the_validators_hold(client: httpx.AsyncClient) -> None:
    paths = (await openapi(client))["paths"]
    (name,) = paths["/api/secrets/{name}"]["get"]["parameters"]
    assert name["schema"]["pattern"] == "^[A-Z][A-Z0-9_]{0,99}$"
    assert (await client.get("/api/secrets/lower")).status_code == 422
    assert {} in paths["/api/session"]["delete"]["security"]  # signing out needs no session
    components = (await openapi(client))["components"]["schemas"]
    needs = [
        {"required": ["text"], "properties": {"text": {"type": "string"}}},
        {"required": ["html"], "properties": {"html": {"type": "string"}}},
    ]
    for model in ("TemplateCreate", "TemplatePreview"):
        assert components[model]["anyOf"] == needs
    assert (await client.post("/api/templates/preview", json={"subject": "s"})).status_code == 422


async def test_flags_and_margins_take_their_own_type_only(client: httpx.AsyncClient) -> None:
    # 0, 1 and "true" were read as booleans, false as a margin of 0: the schema says not.
    document = {
        "workflow_id": "strict",
        "name": "n",
        "trigger": {"type": "go"},
        "actions": [{"type": "log"}],
        "settings": {"enabled": 1},
    }
    refused = await client.post("/api/workflows", json=document)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["loc"][-2:] == ["settings", "enabled"]
    bulk = {"action": "cancel", "filter": {"status": "failed"}, "dry_run": 0}
    assert (await client.post("/api/runs/bulk", json=bulk)).status_code == 422
    limits = {"ai_budget": {"usd": 50, "period": "P30D", "margin": False}}
    assert (await client.put("/api/tenant/limits", json=limits)).status_code == 422


async def test_a_condition_value_past_64_bits_is_a_422_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    # The segment was stored with orjson, which raised on the integer: a 500.
    condition = {"field": "visits", "operator": "equals", "value": {"n": 2**70}}
    segment = {"segment_id": "big", "conditions": [condition]}
    answer = await client.post("/api/segments", json=segment)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["loc"] == ["body", "conditions", 0, "value", "n"]


async def test_the_schema_states_condition_forms_and_variable_names(
    client: httpx.AsyncClient,
) -> None:
    components = (await openapi(client))["components"]["schemas"]
    forms = components["Condition"]["oneOf"]
    assert [form["required"] for form in forms] == [
        ["field", "operator"],
        ["all"],
        ["any"],
        ["not"],
    ]
    assert {"if", "then"} <= components["Condition"]["allOf"][0].keys()
    assert components["VariablesIn"]["minProperties"] == 1
    assert components["VariablesIn"]["propertyNames"]["pattern"].startswith("^[A-Za-z_]")
    # What the schema now says is refused is refused: a leaf without an operator, a group
    # beside a field.
    for condition in (
        {"field": "plan"},
        {"field": "plan", "any": [{"field": "a", "operator": "exists"}]},
    ):
        answer = await client.post(
            "/api/rules/test", json={"conditions": [condition], "payload": {}}
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["details"][0]["loc"][:3] == ["body", "conditions", 0]


@pytest.mark.parametrize(
    "given",
    [{"priority": "5"}, {"retry": {"max_backoff": False}}, {"retry": {"max_attempts": 2.0}}],
)
async def test_numbers_in_settings_are_numbers_of_their_type(
    client: httpx.AsyncClient, given: dict[str, Any]
) -> None:
    # Coerced before: "5" became 5, false became 0.0, though the schema says integer/number.
    components = (await openapi(client))["components"]["schemas"]
    assert components["WorkflowSettings"]["properties"]["priority"]["type"] == "integer"
    document = {
        "workflow_id": "prio",
        "name": "Prio",
        "trigger": {"type": "order_placed"},
        "actions": [{"type": "log", "data": {"message": "hi"}}],
        "settings": given,
    }
    answer = await client.post("/api/workflows", json=document)
    assert answer.status_code == 422, answer.text


async def test_the_copilot_schema_states_its_two_requests(client: httpx.AsyncClient) -> None:
    # A prompt alone, or a document with an instruction: what `_one_request` checks.
    forms = (await openapi(client))["components"]["schemas"]["DraftIn"]["anyOf"]
    assert [form["required"] for form in forms] == [["prompt"], ["document", "instruction"]]
    assert (await client.post("/api/copilot/draft", json={"document": {}})).status_code == 422


async def test_an_import_files_part_that_is_not_a_file_is_a_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/workflows/import", data={"files": "{}"}, files={"x": b""})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["loc"] == ["body", "files"]


async def test_free_form_values_state_the_64_bit_bound(client: httpx.AsyncClient) -> None:
    document = await openapi(client)
    value = document["components"]["schemas"]["JsonValue"]["anyOf"]
    integer = next(form for form in value if form.get("type") == "integer")
    assert (integer["minimum"], integer["exclusiveMaximum"]) == (-(2**63), 2**63)
    data = document["components"]["schemas"]["EventIn"]["properties"]["data"]
    assert data["additionalProperties"] == {"$ref": "#/components/schemas/JsonValue"}
    answer = await client.post("/api/events", json={"type": "x", "data": {"n": -(2**63) - 1}})
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("period", ["1:00:00", "1 day", "P1DT", ""])
async def test_a_period_as_text_is_iso_8601_only_as_the_schema_says(
    client: httpx.AsyncClient, period: str
) -> None:
    # Pydantic also read "1:00:00" and "1 day"; the schema now states the form and bounds.
    throttle = (await openapi(client))["components"]["schemas"]["Throttle"]
    number, text = throttle["properties"]["period"]["anyOf"]
    assert (number["minimum"], number["maximum"]) == (1, 366 * 86400)
    assert re.search(text["pattern"], "P1DT12H")
    assert not re.search(text["pattern"], period)
    limits = {"throttle": {"limit": 1, "period": period}}
    answer = await client.put("/api/tenant/limits", json=limits)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["loc"] == ["body", "throttle", "period"]
    assert (
        await client.put("/api/tenant/limits", json={"throttle": {"limit": 1, "period": "PT1H"}})
    ).is_success


async def test_a_hook_delivery_documents_its_json_body(client: httpx.AsyncClient) -> None:
    body = (await openapi(client))["paths"]["/hooks/{hook_id}"]["post"]["requestBody"]
    assert body["required"]
    assert "application/json" in body["content"]


async def test_a_tenant_setting_takes_a_boolean_only(client: httpx.AsyncClient) -> None:
    # 0 was read as false, though the schema says boolean.
    answer = await client.put("/api/tenant/settings", json={"four_eyes_publishing": 0})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["loc"] == ["body", "four_eyes_publishing"]


async def test_the_schema_states_the_tag_rule(client: httpx.AsyncClient) -> None:
    # An empty tag passed the schema (any string) and got the validator's 422.
    tags = (await openapi(client))["components"]["schemas"]["KeyCreate"]["properties"]["tags"]
    listed = tags["anyOf"][0]
    assert listed["uniqueItems"]
    assert not re.search(listed["items"]["pattern"], "")
    assert re.search(listed["items"]["pattern"], "billing")
    answer = await client.post("/api/keys", json={"role": "viewer", "tags": [""]})
    assert answer.status_code == 422, answer.text
