"""Schemathesis against /openapi.json: generated requests to every operation, in process over
ASGI, on the real app with a real store and Redis and an admin key. No answer may be a 5xx,
and every answer must match the schema (status code, content type, headers, body).

Its own module: Schemathesis's pytest plugin is off (it slows every pytest start); its Python
API and Hypothesis drive the requests. Examples per operation are bounded to keep the suite
fast; raise AUTOMATOR_TEST_OPENAPI_EXAMPLES to search longer.
"""

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from pytest_httpserver import HTTPServer
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from app.models.tenant import Role
from app.redis_server import LocalRedisServer
from app.settings import Settings
from tests.conftest import SEEDS, key_for
from tests.stand_in_models import StandInOpenAI

EXAMPLES = int(os.environ.get("AUTOMATOR_TEST_OPENAPI_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(_env_file=None)))
# An operation the schema cannot describe fails here, at collection.
OPERATIONS = [cast(Any, result).ok() for result in SCHEMA.get_all_operations()]
BASE = "http://automator"
DRAFT = {
    "document": {
        "workflow_id": "drafted",
        "name": "Drafted",
        "trigger": {"type": "order_placed"},
        "actions": [{"id": "note", "type": "log", "data": {"message": "hi"}}],
    },
    "explanation": "Logs each order.",
    "assumptions": ["The event type is order_placed"],
}


@dataclass
class Service:
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient
    key: str

    def send(self, case: Any) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.key}"}
        # Schemathesis speaks requests' dialect (files, form data): requests encodes the
        # body, httpx sends it in process.
        kwargs = case.as_transport_kwargs(base_url=BASE, headers=auth)
        prepared = requests.Request(**kwargs).prepare()
        body = prepared.body
        assert body is None or isinstance(body, bytes | str)
        headers = {k: v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()}
        request = self.client.build_request(
            str(prepared.method), str(prepared.url), headers=headers, content=body
        )
        return self.loop.run_until_complete(self.client.send(request))


@pytest.fixture(scope="module")
def model() -> Iterator[str]:
    """A stand-in model server answering every copilot request with a valid draft, so the
    copilot answers 200 (with no model it answers 503, as documented)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    StandInOpenAI(server, [DRAFT])
    server.start()
    try:
        yield server.url_for("/v1")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def service(
    redis_server: LocalRedisServer, tmp_path_factory: pytest.TempPathFactory, model: str
) -> Iterator[Service]:
    data_dir: Path = tmp_path_factory.mktemp("openapi")
    app = create_app(
        Settings(
            data_dir=data_dir,
            redis_url=redis_server.url,
            rate_limit=0,
            ai_base_url=model,
            ai_model="stand-in",
            http_allowed_hosts=["127.0.0.1"],
            _env_file=None,
        )
    )
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)
    key = loop.run_until_complete(key_for(app.state.resources, "acme", Role.ADMIN))
    seed = (SEEDS / "welcome_campaign_001.json").read_bytes()
    headers = {"Authorization": f"Bearer {key}"}
    loop.run_until_complete(client.post("/api/workflows", content=seed, headers=headers))
    try:
        yield Service(loop, client, key)
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
def test_answers_are_never_5xx_and_always_match_the_schema(
    service: Service, operation: Any
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: Any) -> None:
        case.validate_response(service.send(case), checks=CHECKS)

    check()
