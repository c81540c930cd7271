"""Save-time checks (issue 13, item 6 a): a workflow that could only fail, or silently never
match, is a 422 naming the action, the field and its position, and nothing is saved."""

from typing import Any

import httpx
import pytest

WELCOME: dict[str, Any] = {
    "id": "welcome",
    "type": "send_email",
    "template": "welcome_email",
    "data": {"recipient": "{{ user.email }}", "variables": {"name": "{{ user.name }}"}},
}


def workflow(*actions: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "workflow_id": "greet",
        "name": "Greet",
        "trigger": {"type": "signup"},
        "actions": list(actions) or [WELCOME],
        **more,
    }


def condition(operator: str, **value: Any) -> dict[str, Any]:
    return {"field": "cart_value", "operator": operator, **value}


def guarded(*conditions: dict[str, Any]) -> dict[str, Any]:
    return WELCOME | {"conditions": list(conditions)}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            workflow(WELCOME | {"data": {"variables": {"name": "{{ user.name "}}}),
            "actions.0.data.variables.name (in action 'welcome', send_email): the template "
            "does not compile: unexpected end of template, expected 'end of print statement'. "
            "(line 1)",
        ),
        (
            workflow({"type": "log"}, {"type": "log", "data": {"message": "hi\n{% if %}"}}),
            "actions.1.data.message (in a log action): the template does not compile: "
            "Expected an expression, got 'end of statement block' (line 2)",
        ),
        (
            workflow(settings={"concurrency": {"limit": 1, "key": "{{ user.id }"}}),
            "settings.concurrency.key: the template does not compile: unexpected '}' (line 1)",
        ),
        (
            workflow(guarded(condition(">", value=50), condition("greater_than", value="fifty"))),
            "actions.0.conditions.1.value (in action 'welcome', send_email): greater_than "
            "compares numbers (or ISO 8601 dates): 'fifty' is neither; write a number, such as 50",
        ),
        (
            workflow(trigger={"type": "signup", "conditions": [condition("<", value="50")]}),
            "trigger.conditions.0.value: less_than compares numbers (or ISO 8601 dates): '50' "
            "is neither; write 50 without quotes",
        ),
        (
            workflow(guarded({"not": condition("equals")})),
            "actions.0.conditions.0.not.value (in action 'welcome', send_email): equals needs "
            "a value to compare cart_value with: add one",
        ),
        (
            workflow(guarded(condition("before", value="yesterday"))),
            "actions.0.conditions.0.value (in action 'welcome', send_email): before cannot "
            "work: 'yesterday' is not a date; write an ISO 8601 date (2026-01-31 or "
            "2026-01-31T09:00:00Z), now or now-P7D",
        ),
        (
            workflow(guarded(condition("between", value=[100, 10]))),
            "actions.0.conditions.0.value (in action 'welcome', send_email): between's low "
            "100 is above its high 10: never true; write [10, 100]",
        ),
        (
            workflow(WELCOME | {"data": {"recipient": "ada at example.com"}}),
            "actions.0.data.recipient (in action 'welcome', send_email): 'ada at example.com' "
            "is not an email address (ada@example.com or Ada <ada@example.com>)",
        ),
        (
            workflow(WELCOME | {"data": {"recipients": ["ada@example.com", "bob"]}}),
            "actions.0.data.recipients.1 (in action 'welcome', send_email): 'bob' is not an "
            "email address",
        ),
        (
            workflow({"id": "text", "type": "send_sms", "data": {"recipient": "4155550123"}}),
            "actions.0.data.recipient (in action 'text', send_sms): '4155550123' is not an "
            "E.164 phone number such as +14155550123",
        ),
        (
            workflow(workflow_id="greet all!"),
            "workflow_id: should be 1 to 128 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit",
        ),
    ],
    ids=[
        "template",
        "template-line-2",
        "settings-key",
        "greater-than-fifty",
        "quoted-number",
        "missing-value",
        "not-a-date",
        "empty-range",
        "recipient",
        "recipients",
        "phone",
        "workflow-id",
    ],
)
async def test_a_document_that_could_not_work_is_a_422_naming_where(
    client: httpx.AsyncClient, document: dict[str, Any], message: str
) -> None:
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert message in error["message"]
    assert (await client.get("/api/workflows/greet")).status_code == 404
    validated = await client.post("/api/workflows/validate", json=document)
    assert message in validated.text


async def test_each_problem_in_an_actions_inputs_is_located_at_its_field(
    client: httpx.AsyncClient,
) -> None:
    # The Studio highlights the field a location ends at: `actions.0` marked the whole action.
    hook = {"id": "hook", "type": "webhook_call", "data": {"method": "FETCH", "json": {}}}
    wait = {"id": "wait", "type": "wait_for_event", "data": {"event": "paid"}}
    log = {"id": "note", "type": "log", "data": {"message": "{{ user.name "}}
    limited = {"concurrency": {"limit": 1, "key": "{{ x }"}}
    document = workflow(hook, wait, log, settings=limited)
    checked = await client.post("/api/workflows/validate", json=document)
    details = checked.json()["error"]["details"]
    assert [detail["loc"] for detail in details] == [
        ["actions", 0, "data", "method"],
        ["actions", 0, "data", "url"],
        ["actions", 1, "data", "timeout"],
        ["actions", 2, "data", "message"],
        ["settings", "concurrency", "key"],
    ]
    assert details[0]["msg"].startswith("'FETCH' is not one of")
    assert details[1]["msg"].startswith("'url' is a required property; see GET /api/connectors")
    assert details[2]["msg"] == "Field required"
    assert details[3]["msg"].startswith("the template does not compile:")


async def test_values_each_operator_can_compare_are_saved(client: httpx.AsyncClient) -> None:
    conditions = [
        condition(">=", value=50.5),
        condition("after", value="2026-01-01"),
        condition("less_than", value="2026-12-06T09:30:00Z"),
        condition("exists"),
        condition("equals", value=None),
        condition("between", value=["2026-01-01", "2026-02-01"]),
        condition("after", value="now-P7D"),
        condition("in_list", value=["a", 1]),
    ]
    literal = WELCOME | {"data": {"recipient": "Ada <ada@example.com>", "recipients": [""]}}
    response = await client.post(
        "/api/workflows", json=workflow(literal | {"conditions": conditions})
    )
    assert response.status_code == 201, response.text


# A refused value as large as a request may carry, with placeholders pydantic-core or
# str.format would fill if the value were ever taken for a template.
HUGE = "{type}{problem}{0}" + "x" * 200_000
HOOK: dict[str, Any] = {
    "id": "hook",
    "type": "webhook_call",
    "data": {"url": "https://hooks.example/"},
}


@pytest.mark.parametrize(
    ("document", "loc", "start"),
    [
        (
            workflow(HOOK | {"data": {"url": HUGE}}),
            ["actions", 0, "data", "url"],
            "'{type}{problem}{0}xxx",
        ),
        (
            workflow(
                HOOK | {"data": HOOK["data"] | {"method": {"a": [HUGE, {"b": [HUGE[:99]] * 999}]}}}
            ),
            ["actions", 0, "data", "method"],
            "{'a': ['{type}{problem}{0}xxx",
        ),
        (
            workflow(HOOK | {"data": HOOK["data"] | {f"k{n}": n for n in range(20_000)}}),
            ["actions", 0, "data"],
            "Additional properties are not allowed ('k0', 'k1', ",
        ),
        (
            workflow(HOOK | {"data": HOOK["data"] | {"headers": {"X": {"$secret": HUGE}}}}),
            ["actions", 0, "data", "headers", "X"],
            "a secret name is",
        ),
        (workflow(WELCOME | {"id": HUGE, "template": "{{ x "}), ["actions", 0, "id"], "should"),
        (workflow(tags=[HUGE]), ["tags"], "tag '{type}{problem}{0}xxx"),
    ],
    ids=["string", "nested", "many-names", "secret-name", "action-id", "tag"],
)
async def test_a_huge_refused_value_is_quoted_cut_at_its_exact_place(
    client: httpx.AsyncClient, document: dict[str, Any], loc: list[str | int], start: str
) -> None:
    # A 422 once sent a refused input back whole, in its detail and again in the message.
    response = await client.post("/api/workflows", json=document)
    assert response.status_code == 422
    assert len(response.content) < 2_000, response.text[:2_000]
    error = response.json()["error"]
    detail = error["details"][0]
    assert detail["loc"] == loc
    assert detail["msg"].startswith(start), detail["msg"]
    assert "..." in error["message"]


async def test_a_condition_value_problem_is_located_at_its_value(
    client: httpx.AsyncClient,
) -> None:
    # The Studio marks the field a location ends at: ["trigger", "conditions", 0] marked the
    # whole condition, with "value: " at the start of the message to say which field.
    trigger = {
        "type": "signup",
        "conditions": [condition("<", value="50"), {"any": [condition("in_list", value="x")]}],
    }
    guards = guarded(condition("matches", value="(a"), condition("between", value=[9, 1]))
    checked = await client.post("/api/workflows/validate", json=workflow(guards, trigger=trigger))
    details = checked.json()["error"]["details"]
    assert [(detail["loc"], detail["msg"]) for detail in details] == [
        (
            ["trigger", "conditions", 0, "value"],
            "less_than compares numbers (or ISO 8601 dates): '50' is neither; write 50 "
            "without quotes",
        ),
        (
            ["trigger", "conditions", 1, "any", 0, "value"],
            'in_list needs a list as its value: write ["gold", "silver"]',
        ),
        (
            ["actions", 0, "conditions", 0, "value"],
            "invalid regular expression: missing ), unterminated subpattern at position 0; put "
            "\\ before a character meant as itself: \\( or \\[",
        ),
        (
            ["actions", 0, "conditions", 1, "value"],
            "between's low 9 is above its high 1: never true; write [1, 9]",
        ),
    ]


async def test_a_document_with_thousands_of_problems_lists_the_first_hundred(
    client: httpx.AsyncClient,
) -> None:
    # Each refused recipient was a detail: 50,000 of them were 9 MB answering 350 KB.
    bob = WELCOME | {"data": {"recipients": ["bob"] * 5_000}}
    response = await client.post("/api/workflows/validate", json=workflow(bob))
    error = response.json()["error"]
    assert len(error["details"]) == 100
    assert error["details"][99]["loc"] == ["actions", 0, "data", "recipients", 99]
    assert int(error["message"].rsplit("(and ", 1)[1].removesuffix(" more)")) >= 4_999
    assert len(response.content) < 50_000  # about 920 KB on main


@pytest.mark.parametrize(
    ("document", "loc"),
    [
        (workflow(**{HUGE: 1}), [f"{HUGE[:100]}… (200018 characters)"]),
        (
            workflow(settings={HUGE: 1}),
            ["settings", f"{HUGE[:100]}… (200018 characters)"],
        ),
        (
            workflow(WELCOME | {HUGE: 1}),
            ["actions", 0, f"{HUGE[:100]}… (200018 characters)"],
        ),
    ],
    ids=["top-level", "settings", "action"],
)
async def test_a_huge_unknown_key_is_located_by_its_start_and_length(
    client: httpx.AsyncClient, document: dict[str, Any], loc: list[str | int]
) -> None:
    # An unknown key's name came back whole, in its location and again in the message:
    # 400 KB answering a 200 KB key, by every call that checks a document.
    for call in ("/api/workflows", "/api/workflows/validate"):
        response = await client.post(call, json=document)
        assert len(response.content) < 2_000, response.text[:2_000]
        error = response.json()["error"]
        assert error["details"][-1] == {"loc": loc, "msg": "Extra inputs are not permitted"}
    imported = await client.post("/api/workflows/import", json=document)
    assert len(imported.content) < 2_000, imported.text[:2_000]
