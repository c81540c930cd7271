"""``parse_server`` against a stand-in speaking Parse's REST format on 127.0.0.1.

A stand-in, not Parse Server: the real ``parse-server`` package needs MongoDB (or
PostgreSQL), which this machine does not have. The stand-in keeps objects in memory and
answers the routes, headers, bodies and error shapes of Parse's REST API
(docs.parseplatform.org/rest/guide) for what the connector uses: create, update, query with
``where`` (equality, ``$gt``, ``$lt``, ``$in``), ``limit`` and ``order``, and ``/users``.
A workflow runs it through a real worker, with the app id and master key as stored secrets.
"""

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app.settings import Settings
from tests.conftest import drain, send

APP_ID, MASTER_KEY = "app-123", "master-456"
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": lambda a, b: a is not None and a > b,
    "$lt": lambda a, b: a is not None and a < b,
    "$in": lambda a, b: a in b,
}


class ParseStandIn:
    """Parse's REST API over an in-memory database, one class per name."""

    def __init__(self) -> None:
        self.classes: dict[str, dict[str, dict[str, Any]]] = {"_User": {}}
        self.ids = (f"obj{n:07d}" for n in itertools.count(1))
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    def handle(self, request: Request) -> Response:
        self.seen.append((request.method, request.path, dict(request.headers)))
        if (
            request.headers.get("X-Parse-Application-Id") != APP_ID
            or request.headers.get("X-Parse-Master-Key") != MASTER_KEY
        ):
            return _json({"code": 119, "error": "unauthorized"}, 403)
        parts = request.path.removeprefix("/parse/").split("/")
        if parts == ["users"]:
            return self._query("_User", request)
        if parts[0] != "classes" or len(parts) not in (2, 3):
            return _json({"code": 1, "error": "not found"}, 404)
        objects = self.classes.setdefault(parts[1], {})
        if request.method == "POST" and len(parts) == 2:
            object_id = next(self.ids)
            objects[object_id] = {**request.get_json(), "objectId": object_id}
            return _json({"objectId": object_id, "createdAt": "2026-12-06T05:00:00.000Z"}, 201)
        if request.method == "PUT" and len(parts) == 3:
            if parts[2] not in objects:
                return _json({"code": 101, "error": "Object not found."}, 404)
            objects[parts[2]].update(request.get_json())
            return _json({"updatedAt": "2026-12-06T05:01:00.000Z"})
        return self._query(parts[1], request)

    def _query(self, name: str, request: Request) -> Response:
        where = json.loads(request.args.get("where", "{}"))
        found = [o for o in self.classes.get(name, {}).values() if _matches(o, where)]
        order = request.args.get("order")
        if order:
            field = order.lstrip("-")
            found.sort(key=lambda o: o.get(field, 0), reverse=order.startswith("-"))
        return _json({"results": found[: int(request.args.get("limit", 100))]})


def _matches(item: dict[str, Any], where: dict[str, Any]) -> bool:
    for field, wanted in where.items():
        value = item.get(field)
        if isinstance(wanted, dict):
            if not all(OPERATORS[op](value, arg) for op, arg in wanted.items()):
                return False
        elif value != wanted:
            return False
    return True


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The stand-in listens on 127.0.0.1, which the address guard refuses unless listed."""
    return settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"]})


@pytest.fixture
def parse(httpserver: HTTPServer) -> ParseStandIn:
    stand_in = ParseStandIn()
    stand_in.classes["_User"]["u1"] = {
        "objectId": "u1",
        "username": "ada",
        "email": "ada@example.com",
    }
    httpserver.expect_request(re.compile(r"^/parse/.*")).respond_with_handler(stand_in.handle)
    return stand_in


SCORES = {
    "workflow_id": "scores",
    "name": "Scores",
    "trigger": {"type": "game_over"},
    "actions": [
        {
            "id": "create",
            "type": "custom_action",
            "data": {
                "connector": "parse_server",
                "action": "create_object",
                "params": {
                    "class_name": "GameScore",
                    "data": {"player": "{{ user.id }}", "score": "{{ score }}"},
                },
            },
        },
        {
            "id": "bump",
            "type": "custom_action",
            "data": {
                "connector": "parse_server",
                "action": "update_object",
                "params": {
                    "class_name": "GameScore",
                    "object_id": "{{ steps.create.output.objectId }}",
                    "data": {"checked": True},
                },
            },
        },
        {
            "id": "top",
            "type": "custom_action",
            "data": {
                "connector": "parse_server",
                "action": "query_objects",
                "params": {
                    "class_name": "GameScore",
                    "where": {"score": {"$gt": 10}},
                    "order": "-score",
                    "limit": 5,
                },
            },
        },
        {
            "id": "who",
            "type": "custom_action",
            "data": {
                "connector": "parse_server",
                "action": "find_user",
                "params": {"where": {"email": "{{ user.email }}"}},
            },
        },
    ],
}


async def test_a_workflow_creates_updates_and_queries_objects_and_finds_a_user(
    client: httpx.AsyncClient, settings: Settings, parse: ParseStandIn, httpserver: HTTPServer
) -> None:
    for name, value in (("PARSE_APP_ID", APP_ID), ("PARSE_MASTER_KEY", MASTER_KEY)):
        assert (await client.put(f"/api/secrets/{name}", json={"value": value})).is_success
    config = {
        "url": httpserver.url_for("/parse"),
        "app_id": {"$secret": "PARSE_APP_ID"},
        "master_key": {"$secret": "PARSE_MASTER_KEY"},
    }
    stored = await client.put("/api/integrations/parse_server", json={"config": config})
    assert stored.is_success, stored.text
    assert (await client.post("/api/workflows", json=SCORES)).status_code == 201
    user = {"id": "ada", "email": "ada@example.com"}
    for score in (7, 42):
        await send(client, {"type": "game_over", "user": user, "data": {"score": score}})
    await drain(settings)

    runs = (await client.get("/api/runs", params={"workflow_id": "scores"})).json()["items"]
    assert [run["status"] for run in runs] == ["completed", "completed"]
    latest = (await client.get(f"/api/runs/{runs[0]['run_id']}")).json()["outputs"]
    assert latest["create"]["output"]["objectId"].startswith("obj")
    assert latest["bump"]["output"] == {"updatedAt": "2026-12-06T05:01:00.000Z"}
    assert [o["score"] for o in latest["top"]["output"]["results"]] == [42]
    assert latest["who"]["output"]["user"]["objectId"] == "u1"
    assert all(o["checked"] for o in parse.classes["GameScore"].values())
    method, path, headers = parse.seen[0]
    assert (method, path) == ("POST", "/parse/classes/GameScore")
    assert (headers["X-Parse-Application-Id"], headers["X-Parse-Master-Key"]) == (
        APP_ID,
        MASTER_KEY,
    )
    assert MASTER_KEY not in json.dumps(latest)  # masked wherever it would show


async def test_parse_errors_keep_their_code_and_wrong_keys_are_final(
    client: httpx.AsyncClient, settings: Settings, parse: ParseStandIn, httpserver: HTTPServer
) -> None:
    config = {"url": httpserver.url_for("/parse"), "app_id": APP_ID, "master_key": "wrong"}
    assert (await client.put("/api/integrations/parse_server", json={"config": config})).is_success
    probe = {
        "integration": "parse_server",
        "action": "query_objects",
        "data": {"class_name": "GameScore"},
    }
    tested = await client.post("/api/integrations/test", json=probe)
    assert tested.status_code == 200, tested.text
    result = tested.json()
    assert result["ok"] is False
    assert "answered 403: unauthorized" in result["error"]["message"]
    assert result["error"]["retryable"] is False
