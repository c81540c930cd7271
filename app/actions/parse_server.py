"""``parse_server``: seed 000's Parse Server integration, over Parse's REST API.

Configured per tenant (``PUT /api/integrations/parse_server``) or for the deployment
(``AUTOMATOR_INTEGRATIONS``): ``url`` (the server's mount, ``https://parse.example.com/parse``),
``app_id``, and ``master_key`` or ``rest_key``, the keys as secret references
(``{"$secret": "PARSE_MASTER_KEY"}``). Steps use it through ``custom_action``:
``{"connector": "parse_server", "action": "create_object", "params": {...}}``.

Requests go through the shared outbound client (address guard, bounded bodies); a 5xx, a
429 or a network error is retryable, any other error final, with Parse's own ``code`` and
``error`` in the step's error.
"""

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import orjson

from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter, ConnectorError
from app.actions.net import retry_after, transport_error
from app.models.patterns import ALPHANUMERIC_ID_PATTERN, CLASS_NAME_PATTERN

CLASS_NAME = {
    "type": "string",
    "pattern": CLASS_NAME_PATTERN,
    "description": "A Parse class: `GameScore`, `_User`.",
}
OBJECT_ID = {"type": "string", "pattern": ALPHANUMERIC_ID_PATTERN}
WHERE = {"type": "object", "description": 'A Parse query constraint: `{"score": {"$gt": 10}}`.'}
QUERY = {
    "where": WHERE,
    "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
    "skip": {"type": "integer", "minimum": 0},
    "order": {"type": "string", "maxLength": 256, "description": "`-createdAt,score`."},
    "keys": {"type": "string", "maxLength": 1024, "description": "Fields to return."},
}
ACTIONS = {
    "create_object": ActionSpec(
        inputs={
            "type": "object",
            "required": ["class_name", "data"],
            "additionalProperties": False,
            "properties": {"class_name": CLASS_NAME, "data": {"type": "object"}},
        },
        outputs={
            "type": "object",
            "properties": {"objectId": {"type": "string"}, "createdAt": {"type": "string"}},
        },
        description="Create an object (POST /classes/{class_name}).",
    ),
    "update_object": ActionSpec(
        inputs={
            "type": "object",
            "required": ["class_name", "object_id", "data"],
            "additionalProperties": False,
            "properties": {
                "class_name": CLASS_NAME,
                "object_id": OBJECT_ID,
                "data": {"type": "object"},
            },
        },
        outputs={"type": "object", "properties": {"updatedAt": {"type": "string"}}},
        description="Update an object's fields (PUT /classes/{class_name}/{object_id}).",
    ),
    "query_objects": ActionSpec(
        inputs={
            "type": "object",
            "required": ["class_name"],
            "additionalProperties": False,
            "properties": {"class_name": CLASS_NAME, **QUERY},
        },
        outputs={
            "type": "object",
            "properties": {"results": {"type": "array"}, "count": {"type": "integer"}},
        },
        description="Find objects (GET /classes/{class_name}?where=...).",
    ),
    "find_user": ActionSpec(
        inputs={
            "type": "object",
            "required": ["where"],
            "additionalProperties": False,
            "properties": {"where": WHERE},
        },
        outputs={"type": "object", "properties": {"user": {"type": ["object", "null"]}}},
        description="The first user matching `where` (GET /users), or null; needs the master key.",
    ),
}


class ParseServer(ConnectorAdapter):
    code: ClassVar[str] = "parse_server"
    name: ClassVar[str] = "Your app's data (Parse Server)"
    description: ClassVar[str] = (
        "Create, update and query objects and find users on a Parse Server (REST API). "
        "Configuration: url, app_id, master_key or rest_key (secret references)."
    )
    actions: ClassVar[Mapping[str, ActionSpec]] = ACTIONS

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        http = context.services.http
        if http is None:
            raise ConnectorError("no HTTP client is configured for connectors")
        base, headers = _server(context.config)
        if action == "create_object":
            path = f"/classes/{_name(params)}"
            return await _call(http, "POST", base + path, headers, json=params["data"])
        if action == "update_object":
            path = f"/classes/{_name(params)}/{quote(str(params['object_id']), safe='')}"
            return await _call(http, "PUT", base + path, headers, json=params["data"])
        if action == "query_objects":
            found = await _call(
                http, "GET", f"{base}/classes/{_name(params)}", headers, params=_query(params)
            )
            return {"results": found.get("results", []), "count": len(found.get("results", []))}
        if action == "find_user":
            query = _query({"where": params.get("where"), "limit": 1})
            found = await _call(http, "GET", f"{base}/users", headers, params=query)
            users = found.get("results", [])
            return {"user": users[0] if users else None}
        raise ConnectorError(f"parse_server has no action {action!r}; see GET /api/connectors")


def _server(config: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The server's base URL and the headers that authenticate to it."""
    url, app_id = config.get("url"), config.get("app_id")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConnectorError(
            "parse_server needs config.url, the server's mount (https://parse.example.com/parse): "
            "PUT /api/integrations/parse_server"
        )
    if not isinstance(app_id, str) or not app_id:
        raise ConnectorError("parse_server needs config.app_id (a secret reference)")
    headers = {"X-Parse-Application-Id": app_id}
    if isinstance(config.get("master_key"), str):
        headers["X-Parse-Master-Key"] = config["master_key"]
    elif isinstance(config.get("rest_key"), str):
        headers["X-Parse-REST-API-Key"] = config["rest_key"]
    else:
        raise ConnectorError("parse_server needs config.master_key or config.rest_key")
    return url.rstrip("/"), headers


def _name(params: Mapping[str, Any]) -> str:
    return quote(str(params["class_name"]), safe="")


def _query(params: Mapping[str, Any]) -> dict[str, str]:
    """Parse's query string: ``where`` as JSON, the rest as they are."""
    query = {}
    if params.get("where") is not None:
        query["where"] = orjson.dumps(params["where"]).decode()
    for name in ("limit", "skip", "order", "keys"):
        if params.get(name) is not None:
            query[name] = str(params[name])
    return query


async def _call(
    http: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], **kwargs: Any
) -> dict[str, Any]:
    what = f"parse_server {method} {url}"
    try:
        response = await http.request(method, url, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        raise transport_error(exc, what) from exc
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text[:500]}
    if response.status_code >= 400:
        raise _refused(response, body, what)
    if not isinstance(body, dict):
        raise ConnectorError(f"{what} answered {type(body).__name__}, not a JSON object")
    return body


def _refused(response: httpx.Response, body: Any, what: str) -> ConnectorError:
    """Parse's error: its ``code`` and ``error``; retryable for a 5xx or a 429."""
    detail = body if isinstance(body, dict) else {}
    status = response.status_code
    message = f"{what} answered {status}: {detail.get('error', 'no message')}"
    return ConnectorError(
        message,
        retryable=status >= 500 or status == 429,
        retry_after=retry_after(response),
        detail={"status": status, "parse_code": detail.get("code")},
    )
