"""No send without its record, whatever a template renders: random expressions go into every
action's fields (every connector action, ``set`` and ``log``), and the run goes through the
API, a real arq worker on a real Redis, real SQLite and a real HTTP server on 127.0.0.1.
No run may end in an engine error, every action leaves a step record, and the server has
received exactly one request per webhook step recorded as completed."""

import itertools
from typing import Any

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from app.settings import Settings
from tests.conftest import drain, send

# Values at and past what every store keeps, references, undefined names, odd types.
ATOMS = st.sampled_from(
    [
        "2**64",
        "2**63",
        "2**63 - 1",
        "-2**63 - 1",
        "10**30",
        "1e308 * 10",
        "'nan'|float",
        "1.5",
        "0",
        "true",
        "none",
        "'text'",
        "''",
        "'\\ud800'",
        "'x' * 50",
        "range(4)|list",
        "{'$secret': 'CANARY'}",
        "{'a': [1, {'b': 2**64}]}",
        "[[[[]]]]",
        "(1, 2)",
        "{1: 2}",
        "payload",
        "payload.items",
        "user",
        "user.id",
        "missing",
        "missing|default(2**64)",
        "steps",
        "run",
        "vars",
        "event",
        "workflow",
        "1/0",
        "lipsum(1)",
    ]
)
OPERATORS = st.sampled_from(["+", "-", "*", "~", "//", "%", "**", "==", "and", "in"])
FILTERS = st.sampled_from(["string", "list", "tojson", "int", "float", "length", "first", "abs"])
EXPRESSIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.builds("({} {} {})".format, inner, OPERATORS, inner),
        st.builds("({})|{}".format, inner, FILTERS),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.builds("{{'k': {}}}".format, inner),
    ),
    max_leaves=5,
)
TEMPLATES = st.one_of(
    EXPRESSIONS.map("{{{{ {} }}}}".format),  # one expression: keeps its type
    st.builds("id {{{{ {} }}}} and {{{{ {} }}}}".format, EXPRESSIONS, EXPRESSIONS),  # text
)


def catalogue(sink: str) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """Each action type: data that works, and the fields a random template goes into."""
    return {
        "webhook_call": (
            {"url": sink, "json": {"ok": True}},
            ["json", "headers", "query", "body", "method", "timeout", "follow_redirects"],
        ),
        "send_sms": ({"recipient": "+15550100", "body": "hi"}, ["recipient", "body", "variables"]),
        "send_push": (
            {"recipients": ["tok"], "title": "t"},
            ["recipients", "title", "body", "image", "data", "variables"],
        ),
        "send_whatsapp": (
            {"recipient": "+15550100", "body": "hi"},
            ["recipient", "body", "variables"],
        ),
        "send_email": (
            {"recipient": "a@example.com", "subject": "s", "text": "t"},
            ["recipient", "subject", "text", "html", "variables", "from", "reply_to"],
        ),
        "update_user_profile": ({"profile_data": {"plan": "pro"}}, ["user_id", "profile_data"]),
        "create_segment": (
            {"segment_id": "s1", "conditions": [{"field": "plan", "operator": "exists"}]},
            ["segment_id", "name", "description"],
        ),
        "add_to_campaign": ({"campaign_id": "c1"}, ["campaign_id", "user_id", "name"]),
        "ai_task": ({"prompt_template": "hi"}, ["prompt_template", "system", "parameters"]),
        "set": ({"x": 1}, ["x", "y"]),
        "log": ({"message": "m"}, ["message"]),
    }


FIELDS = st.fixed_dictionaries(
    {
        kind: st.tuples(st.sampled_from(fields), TEMPLATES)
        for kind, (_, fields) in catalogue("").items()
    }
)
WORKFLOWS = itertools.count()


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=FIELDS)
async def test_no_rendered_value_ends_a_run_in_an_engine_error_or_an_unrecorded_send(
    client: httpx.AsyncClient,
    settings: Settings,
    httpserver: HTTPServer,
    fields: dict[str, tuple[str, str]],
) -> None:
    httpserver.expect_request("/sink").respond_with_json({"ok": True})
    httpserver.log.clear()
    actions = []
    for kind, (data, _) in catalogue(httpserver.url_for("/sink")).items():
        field, template = fields[kind]
        actions.append({"id": kind, "type": kind, "data": data | {field: template}})
    workflow_id = f"fuzz{next(WORKFLOWS)}"
    document = {
        "workflow_id": workflow_id,
        "name": "n",
        "trigger": {"type": workflow_id},
        "actions": actions,
        "settings": {"on_error": "continue", "retry": {"max_attempts": 1}},
    }
    saved = await client.post("/api/workflows", json=document)
    assert saved.status_code in (201, 422), saved.text  # a template that does not compile
    if saved.status_code == 422:
        return
    event = {"type": workflow_id, "user": {"id": "u1"}, "data": {"payload": {"items": [2**62]}}}
    (run_id,) = (await send(client, event))["run_ids"]
    await drain(settings.model_copy(update={"http_allowed_hosts": ["127.0.0.1"], "delay_scale": 0}))
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert run["status"] == "completed", run["error"]
    recorded = {step["step_id"]: step for step in run["steps"]}
    assert set(recorded) == {action["id"] for action in actions}, run["history"]
    for step in recorded.values():
        assert "internal error" not in str(step["error"]), step
    sent = 1 if recorded["webhook_call"]["status"] == "completed" else 0
    assert len(httpserver.log) == sent, (recorded["webhook_call"], fields["webhook_call"])
