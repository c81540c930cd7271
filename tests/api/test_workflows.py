from pathlib import Path
from typing import Any

import httpx
import pytest

from app.models import jsonc
from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import SEEDS, key_for

SEED_FILES = sorted(SEEDS.glob("*.json"))


def minimal(workflow_id: str = "wf", **changes: Any) -> dict[str, Any]:
    return {
        "workflow_id": workflow_id,
        "name": "A workflow",
        "trigger": {"type": "user_signup"},
        "actions": [{"id": "a1", "type": "send_email"}],
        **changes,
    }


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.stem)
async def test_seed_workflows_import_unchanged_and_round_trip(
    client: httpx.AsyncClient, path: Path
) -> None:
    raw = path.read_bytes()
    created = await client.post("/api/workflows", content=raw)
    assert created.status_code == 201, created.text
    body = created.json()
    written = jsonc.loads(raw)
    assert (body["workflow_id"], body["version"]) == (written["workflow_id"], 1)
    exported = (await client.get(f"/api/workflows/{written['workflow_id']}/export")).json()
    for action, original in zip(exported["actions"], written["actions"], strict=True):
        assert action.pop("id") == original.pop("id", action_id := None) or action_id is None
    assert exported == written
    again = await client.post("/api/workflows/import", json=[body["document"]])
    assert again.json()["results"][0]["status"] == "unchanged"


async def test_get_returns_the_document_and_its_version(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal())
    body = (await client.get("/api/workflows/wf")).json()
    assert (body["version"], body["enabled"], body["trigger_type"]) == (1, True, "user_signup")
    assert body["document"]["actions"] == [{"id": "a1", "type": "send_email"}]


async def test_update_saves_a_new_version_and_publish_rolls_back(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal())
    updated = await client.put("/api/workflows/wf", json=minimal(name="Second"))
    assert (updated.json()["version"], updated.json()["name"]) == (2, "Second")
    draft = await client.put("/api/workflows/wf?publish=false", json=minimal(name="Draft"))
    assert (draft.json()["latest_version"], draft.json()["active_version"]) == (3, 2)
    versions = (await client.get("/api/workflows/wf/versions")).json()
    assert [(v["version"], v["active"]) for v in versions] == [(1, False), (2, True), (3, False)]
    assert (await client.get("/api/workflows/wf/versions/1")).json()["document"][
        "name"
    ] == "A workflow"
    rolled_back = await client.post("/api/workflows/wf/versions/1/publish")
    assert (rolled_back.json()["active_version"], rolled_back.json()["name"]) == (1, "A workflow")


async def test_update_refuses_a_different_workflow_id(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal())
    response = await client.put("/api/workflows/wf", json=minimal("other"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "workflow_id"]


async def test_create_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal())
    response = await client.post("/api/workflows", json=minimal())
    assert response.status_code == 409
    assert "PUT /api/workflows/wf" in response.json()["error"]["message"]


async def test_enable_disable_and_list_filters(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal("a"))
    await client.post("/api/workflows", json=minimal("b", trigger={"type": "purchase_completed"}))
    assert (await client.post("/api/workflows/a/disable")).json()["enabled"] is False
    listed = (await client.get("/api/workflows", params={"enabled": "true"})).json()
    assert [w["workflow_id"] for w in listed["items"]] == ["b"]
    by_trigger = (await client.get("/api/workflows", params={"trigger_type": "user_signup"})).json()
    assert [w["workflow_id"] for w in by_trigger["items"]] == ["a"]
    assert (await client.post("/api/workflows/a/enable")).json()["enabled"] is True
    exported = (await client.get("/api/workflows/export")).json()
    assert [d["workflow_id"] for d in exported] == ["a", "b"]


async def test_tags_are_saved_with_each_version_listed_and_filtered_by(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/workflows", json=minimal("a", tags=["growth", "emea"]))
    assert created.json()["tags"] == ["growth", "emea"]
    await client.post("/api/workflows", json=minimal("b", tags=["ops"]))
    await client.post("/api/workflows", json=minimal("c"))
    by_tag = (await client.get("/api/workflows", params={"tag": "emea"})).json()["items"]
    assert [(w["workflow_id"], w["tags"]) for w in by_tag] == [("a", ["growth", "emea"])]
    edited = await client.put(
        "/api/workflows/a", json=minimal("a", tags=["ops"]), params={"publish": "false"}
    )
    assert (edited.json()["tags"], edited.json()["latest_version"]) == (["ops"], 2)
    by_tag = (await client.get("/api/workflows", params={"tag": "ops"})).json()["items"]
    assert [w["workflow_id"] for w in by_tag] == ["a", "b"]
    exported = (await client.get("/api/workflows/a/export")).json()
    assert exported["tags"] == ["growth", "emea"], "the active version's document, v1"


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        (["Growth"], "tags: tag 'Growth' must be 1 to 40 lowercase letters"),
        (["x" * 41], "must be 1 to 40 lowercase letters"),
        (["a", "a"], "tags: each tag may appear once"),
        ([f"t{n}" for n in range(21)], "tags: List should have at most 20 items"),
        ("growth", "tags: Input should be a valid list"),
    ],
)
async def test_a_bad_tag_is_a_422_naming_the_field(
    client: httpx.AsyncClient, tags: Any, message: str
) -> None:
    response = await client.post("/api/workflows", json=minimal("a", tags=tags))
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]
    key = await client.post("/api/keys", json={"role": "viewer", "tags": tags})
    assert key.status_code == 422, key.text
    assert "tags" in key.text


async def test_export_reflects_a_disabled_workflow(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal())
    await client.post("/api/workflows/wf/disable")
    assert (await client.get("/api/workflows/wf/export")).json()["settings"] == {"enabled": False}


async def test_paging_hands_over_the_last_id(client: httpx.AsyncClient) -> None:
    for n in range(3):
        await client.post("/api/workflows", json=minimal(f"wf{n}"))
    first = (await client.get("/api/workflows", params={"limit": 2})).json()
    assert ([w["workflow_id"] for w in first["items"]], first["next_after"]) == (
        ["wf0", "wf1"],
        "wf1",
    )
    second = (await client.get("/api/workflows", params={"limit": 2, "after": "wf1"})).json()
    assert ([w["workflow_id"] for w in second["items"]], second["next_after"]) == (["wf2"], None)


async def test_delete_archives(client: httpx.AsyncClient) -> None:
    await client.post("/api/workflows", json=minimal())
    assert (await client.delete("/api/workflows/wf")).status_code == 204
    assert (await client.get("/api/workflows")).json()["items"] == []
    assert (await client.get("/api/workflows/wf")).json()["archived"] is True


async def test_validate_saves_nothing(client: httpx.AsyncClient) -> None:
    ok = (
        await client.post("/api/workflows/validate", json=minimal(actions=[{"type": "log"}]))
    ).json()
    assert ok["valid"] is True
    assert ok["document"]["actions"][0]["id"] == "action_001"
    bad = (
        await client.post("/api/workflows/validate", json=minimal(actions=[{"type": "fax"}]))
    ).json()
    assert bad["valid"] is False
    assert bad["error"]["details"][0]["loc"] == ["actions", 0, "type"]
    assert (await client.get("/api/workflows")).json()["items"] == []


async def test_validate_warns_of_a_message_template_not_created_yet(
    client: httpx.AsyncClient,
) -> None:
    reminder = {
        "id": "remind",
        "type": "send_email",
        "template": "cart_reminder",
        "data": {"recipient": "{{ user.email }}"},
    }
    document = minimal(actions=[reminder, {"type": "log"}])
    checked = (await client.post("/api/workflows/validate", json=document)).json()
    assert checked["valid"] is True
    assert checked["warnings"] == [
        {
            "action_id": "remind",
            "action_type": "send_email",
            "message": "message template 'cart_reminder' was not found; create it in the "
            "Studio under Governance → Message templates, or with POST /api/templates",
        }
    ]
    template = {"name": "cart_reminder", "subject": "Hi {{ name }}", "text": "Your cart"}
    assert (await client.post("/api/templates", json=template)).status_code == 201
    checked = (await client.post("/api/workflows/validate", json=document)).json()
    [unready] = checked["warnings"]  # next, what the channel lacks here
    assert unready["message"].startswith("no SMTP server is configured")


async def test_51_actions_is_refused_naming_the_limit(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/workflows", json=minimal(actions=[{"type": "log"}] * 51))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"] == [
        {"loc": ["actions"], "msg": "51 actions is over the limit of 50 actions per workflow"}
    ]


async def test_bad_json_names_line_and_column(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/workflows", content=b'{"workflow_id": "wf",\n "name": }')
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["msg"].startswith("line 2")


async def test_import_many_reports_each_file_and_keeps_going(client: httpx.AsyncClient) -> None:
    files = [("files", (p.name, p.read_bytes(), "application/json")) for p in SEED_FILES]
    files.insert(1, ("files", ("broken.json", b'{"workflow_id": "x"', "application/json")))
    report = (await client.post("/api/workflows/import", files=files)).json()["results"]
    assert [(r["source"], r["status"]) for r in report] == [
        (SEED_FILES[0].name, "created"),
        ("broken.json", "error"),
        *[(p.name, "created") for p in SEED_FILES[1:]],
    ]
    assert report[1]["error"]["code"] == "invalid_input"
    listed = (await client.get("/api/workflows")).json()["items"]
    assert len(listed) == len(SEED_FILES)
    changed = minimal("customer_retention", name="Changed")
    second = (await client.post("/api/workflows/import", json=changed)).json()["results"]
    assert (second[0]["status"], second[0]["version"]) == ("updated", 2)


async def test_an_import_warns_of_what_a_create_warns_of(client: httpx.AsyncClient) -> None:
    # An import said "created" alone, where a create of the same document named the
    # template its runs would fail on.
    document = minimal(actions=[{"id": "a1", "type": "send_email", "template": "nope"}])
    created = (await client.post("/api/workflows", json=document)).json()["warnings"]
    assert [w["message"] for w in created] == [NO_TEMPLATE]
    report = (await client.post("/api/workflows/import", json=[document, {"name": 1}])).json()
    assert [(r["status"], r["warnings"]) for r in report["results"]] == [
        ("unchanged", [{"action_id": "a1", "action_type": "send_email", "message": NO_TEMPLATE}]),
        ("error", []),
    ]


NO_TEMPLATE = (
    "message template 'nope' was not found; create it in the Studio under Governance → "
    "Message templates, or with POST /api/templates"
)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.VIEWER, {"read"}), (Role.INGEST, set()), (Role.EDITOR, {"read", "write"})],
)
async def test_roles_limit_what_a_key_may_do(
    app_resources: tuple[httpx.AsyncClient, Resources], role: Role, allowed: set[str]
) -> None:
    client, resources = app_resources
    client.headers["Authorization"] = f"Bearer {await key_for(resources, 'acme', role)}"
    write = await client.post("/api/workflows", json=minimal())
    read = await client.get("/api/workflows")
    assert (write.status_code == 201) == ("write" in allowed)
    assert (read.status_code == 200) == ("read" in allowed)
    if "write" not in allowed:
        assert write.json()["error"]["code"] == "forbidden"


async def test_missing_and_wrong_keys_are_401(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, _ = app_resources
    missing = await client.get("/api/workflows")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await client.get("/api/workflows", headers={"Authorization": "Bearer atm_nope"})
    error = wrong.json()["error"]
    assert (error["code"], error["details"]) == ("unauthenticated", [])
    # What to do, not only what is wrong: the key as printed, or a new one.
    assert error["message"].startswith("The API key is not valid: ")
    assert "Send the whole key as it was printed (atm_...)" in error["message"]
    assert "POST /api/keys, or automator create-api-key" in error["message"]


@pytest.mark.parametrize(
    "route", ["/api/workflows", "/api/workflows/validate", "/api/workflows/import"]
)
async def test_an_integer_past_64_bits_is_refused_naming_its_field(
    client: httpx.AsyncClient, route: str
) -> None:
    # orjson read 18446744073709551616 as the float 1.8446744073709552e19: saved silently.
    body = (
        '{"workflow_id": "big", "name": "n", "trigger": {"type": "go"}, "actions": '
        '[{"id": "pay", "type": "log", "data": {"amount": 18446744073709551616}}]}'
    )
    if route.endswith("import"):
        body = f"[{body}]"
    response = await client.post(route, content=body, headers={"content-type": "application/json"})
    error = response.json()["error"]  # 422, or a 200 saying valid: false
    assert error["details"][0]["loc"][-4:] == ["actions", 0, "data", "amount"]
    assert "integer 18446744073709551616 is outside 64 bits" in error["message"]
    assert (await client.get("/api/workflows/big")).status_code == 404


async def test_a_save_answers_the_warnings_validate_gives_and_stands(
    client: httpx.AsyncClient,
) -> None:
    """A webhook to an address the guard refuses was saved with a bare 201: only validate
    said the call would fail."""
    sink = {"id": "sink", "type": "webhook_call", "data": {"url": "http://127.0.0.1:5080/ok"}}
    document = minimal(actions=[sink])
    checked = (await client.post("/api/workflows/validate", json=document)).json()
    [warning] = checked["warnings"]
    assert warning["message"].startswith("refused to connect to 127.0.0.1")
    created = await client.post("/api/workflows", json=document)
    assert created.status_code == 201
    assert created.json()["warnings"] == checked["warnings"]
    path = f"/api/workflows/{document['workflow_id']}"
    updated = await client.put(path, json=document)
    assert (updated.status_code, updated.json()["warnings"]) == (200, checked["warnings"])
    assert (await client.get(path)).json()["version"] == 2
    quiet = minimal(actions=[{"type": "log"}])
    assert (await client.put(path, json=quiet)).json()["warnings"] == []
