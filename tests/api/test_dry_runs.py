"""Dry runs tell the truth (issue 13, item 7): a step that would fail now is ``would_fail``
with the reason, never ``completed``, in both /api/workflows/{id}/test and
/api/triggers/test. The test client's settings configure no SMTP server, no SMS provider
and no outbox, as a production API with nothing set up."""

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
import pytest

from app.actions import registry as registry_module
from app.actions.base import ActionContext, ActionSpec, ConnectorAdapter
from app.settings import Settings
from tests.clock import ShiftedClock
from tests.conftest import as_admin, serving

STEPS: list[dict[str, Any]] = [
    {"id": "welcome", "type": "send_email", "template": "welcome_email"},
    {
        "id": "hook",
        "type": "webhook_call",
        "data": {"url": "http://127.0.0.1:9/hook", "headers": {"X-Key": {"$secret": "NOPE_KEY"}}},
    },
    {"id": "sms", "type": "send_sms", "data": {"recipient": "+15555550100", "body": "hi"}},
    {"id": "greet", "type": "log", "data": {"message": "Hi {{ user.name }}"}},
    {"id": "done", "type": "log", "data": {"message": "done"}},
]
# An email's sender, without which a step fails before its recipients are looked at.
SENDER = "shop@example.com"
EVENT = {"type": "signup", "user": {"id": "u1", "email": "ada@example.com"}}
REASONS = {
    "welcome": "message template 'welcome_email' was not found",
    "hook": "secret 'NOPE_KEY' is not set",
    "sms": "no sms provider is configured ('sms' in the notify_service integration) and this "
    "process keeps no dev outbox (AUTOMATOR_OUTBOX)",
    "greet": "user.name is not in the event; its user has id, email",
}


def workflow(on_error: str = "continue") -> dict[str, Any]:
    return {
        "workflow_id": "greet",
        "name": "Greet",
        "trigger": {"type": "signup"},
        "actions": STEPS,
        "settings": {"on_error": on_error},
    }


def check_reasons(steps: dict[str, dict[str, Any]]) -> None:
    for step_id, reason in REASONS.items():
        assert steps[step_id]["status"] == "would_fail", steps[step_id]
        assert reason in steps[step_id]["reason"], (step_id, steps[step_id]["reason"])


async def warned_then_traced(
    client: httpx.AsyncClient, document: dict[str, Any], event: dict[str, Any] = EVENT
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """What ``POST /api/workflows/validate`` warns of, by action, then the document saved
    and tested with ``event``: its trace's steps, by id."""
    checked = (await client.post("/api/workflows/validate", json=document)).json()
    warnings = {w["action_id"]: w["message"] for w in checked["warnings"]}
    created = await client.post("/api/workflows", json=document)
    assert created.status_code == 201, created.text
    reply = await client.post("/api/workflows/greet/test", json={"event": event})
    return warnings, {step["step_id"]: step for step in reply.json()["trace"] if "step_id" in step}


async def test_a_workflow_test_marks_each_step_that_would_fail_with_why(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/workflows", json=workflow())
    assert created.status_code == 201, created.text
    reply = await client.post("/api/workflows/greet/test", json={"event": EVENT})
    assert reply.status_code == 200, reply.text
    steps = {step["step_id"]: step for step in reply.json()["trace"] if "step_id" in step}
    check_reasons(steps)
    assert steps["done"]["status"] == "completed"
    assert (await client.get("/api/runs")).json()["items"] == [], "a test starts nothing"

    await client.put("/api/workflows/greet", json=workflow("fail"))
    failing = (await client.post("/api/workflows/greet/test", json={"event": EVENT})).json()
    assert (failing["status"], [step["status"] for step in failing["trace"]]) == (
        "failed",
        ["would_fail"],
    )
    assert REASONS["welcome"] in failing["error"]["message"]


async def test_a_step_stops_failing_once_what_it_lacked_exists(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/workflows", json=workflow())
    assert created.status_code == 201, created.text
    template = {"name": "welcome_email", "subject": "Hi", "text": "Welcome"}
    assert (await client.post("/api/templates", json=template)).status_code == 201
    reply = await client.post("/api/workflows/greet/test", json={"event": EVENT})
    welcome = next(step for step in reply.json()["trace"] if step.get("step_id") == "welcome")
    assert welcome["status"] == "would_fail"
    assert welcome["reason"].startswith("no SMTP server is configured (AUTOMATOR_SMTP_HOST")


async def test_a_trigger_test_marks_each_action_that_would_fail_with_why(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/api/workflows", json=workflow())
    assert created.status_code == 201, created.text
    body = {"trigger_type": "signup", "user_data": EVENT["user"]}
    reply = await client.post("/api/triggers/test", json=body)
    assert reply.status_code == 200, reply.text
    (preview,) = reply.json()["workflows"]
    actions = {action["id"]: action for action in preview["actions"]}
    check_reasons(actions)
    assert actions["done"]["status"] == "would_run"


async def test_an_email_lacking_a_subject_or_body_is_warned_of_and_would_fail(
    client: httpx.AsyncClient,
) -> None:
    """Such an email fails when a run reaches it; the Studio's first drafts (a Send email
    node, left empty) passed both checks as sure to complete."""
    smtp = {"smtp": {"host": "mail.example.com", "port": 2525, "tls": "none", "from": SENDER}}
    configured = await client.put("/api/integrations/notify_service", json={"config": smtp})
    assert configured.is_success, configured.text
    lacking = {
        "bare": "no subject: data.subject is empty; set data.subject or name a template "
        "that has one",
        "titled": "no body: data.body and data.html are empty; set data.body or name a "
        "template that has one",
    }
    document = workflow() | {
        "actions": [
            {"id": "bare", "type": "send_email", "data": {}},
            {"id": "titled", "type": "send_email", "data": {"subject": "Hi {{ user.id }}"}},
            {"id": "whole", "type": "send_email", "data": {"subject": "Hi", "body": "Welcome"}},
        ]
    }
    warnings, steps = await warned_then_traced(client, document)
    assert warnings == lacking
    assert {step: steps[step]["reason"] for step in lacking} == lacking
    assert steps["whole"]["status"] == "completed"


async def test_a_webhook_to_an_address_the_guard_refuses_is_warned_of_and_would_fail(
    client: httpx.AsyncClient,
) -> None:
    """Known without resolving a name: an IP address however spelled. A first webhook to a
    local sink traced "completed", then failed at the guard in the real run. Judged by the
    API's allow-list, which a deployment may have set on its workers alone: the warning
    says whose it was."""
    whose = (
        " (judged by this API process's AUTOMATOR_HTTP_ALLOWED_HOSTS; workers judge each call "
        "by their own: give the API and every worker the same)"
    )
    refused = {
        "sink": "refused to connect to 127.0.0.1: it is a loopback address; allow it with "
        "AUTOMATOR_HTTP_ALLOWED_HOSTS=127.0.0.1 in the service's environment" + whose,
        "inside": "refused to connect to 0x0a000005: it resolves to 10.0.0.5, a private "
        "address; allow it with AUTOMATOR_HTTP_ALLOWED_HOSTS=0x0a000005 in the service's "
        "environment" + whose,
    }
    document = workflow() | {
        "actions": [
            {"id": "sink", "type": "webhook_call", "data": {"url": "http://127.0.0.1:5080/ok"}},
            {"id": "inside", "type": "webhook_call", "data": {"url": "http://0x0a000005/x"}},
            {"id": "named", "type": "webhook_call", "data": {"url": "https://hooks.example.com/"}},
            {"id": "later", "type": "webhook_call", "data": {"url": "{{ callback_url }}"}},
        ]
    }
    event = EVENT | {"data": {"callback_url": "http://[::1]:8080/done"}}
    warnings, steps = await warned_then_traced(client, document, event)
    assert warnings == refused
    assert {step: steps[step]["reason"] for step in refused} == refused
    assert steps["named"]["status"] == "completed"
    assert steps["later"]["reason"].startswith("refused to connect to ::1: it is a loopback")


async def test_an_email_through_an_smtp_host_the_guard_refuses_is_warned_of_and_would_fail(
    client: httpx.AsyncClient,
) -> None:
    """A tenant's own SMTP host goes through the address guard when the email is sent, as a
    webhook's does: a dry run traced such an email "completed", then the run failed."""
    refused = (
        "refused to connect to 10.0.0.5: it is a private address; allow it with "
        "AUTOMATOR_HTTP_ALLOWED_HOSTS=10.0.0.5 in the service's environment (judged by this "
        "API process's AUTOMATOR_HTTP_ALLOWED_HOSTS; workers judge each call by their own: "
        "give the API and every worker the same)"
    )
    smtp = {"smtp": {"host": "10.0.0.5", "tls": "none", "from": SENDER}}
    configured = await client.put("/api/integrations/notify_service", json={"config": smtp})
    assert configured.is_success, configured.text
    mail = {"id": "mail", "type": "send_email", "data": {"subject": "Hi", "body": "Welcome"}}
    warnings, steps = await warned_then_traced(client, workflow() | {"actions": [mail]})
    assert warnings == {"mail": refused}
    assert (steps["mail"]["status"], steps["mail"]["reason"]) == ("would_fail", refused)


class Miscounted(ConnectorAdapter):
    """A plugin whose draft (of a fax) and whose readiness check (of a telex) have bugs."""

    code = "miscounted"
    name = "Miscounted"
    description = "Faxes and telexes."
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "fax": ActionSpec(inputs={"to": {"type": "string", "required": True}}),
        "telex": ActionSpec(inputs={"to": {"type": "string", "required": True}}),
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        return {}

    def unready(self, action: str, params: Mapping[str, Any], context: ActionContext) -> str | None:
        return None if action == "fax" else str(1 / 0)

    def draft(self, action: str, params: Mapping[str, Any], context: ActionContext) -> Any:
        return {"pages": params["pages"]}


async def test_a_plugin_whose_checks_raise_fails_its_step_not_the_request(
    settings: Settings, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connector's draft or readiness check raising anything but a ConnectorError
    answered the test, the trigger test and the validation with a 500; it is the failure
    of the step that met it, naming the connector and the error."""
    monkeypatch.setattr(registry_module, "_registered", [Miscounted])
    bug = " (a bug in the connector; the service's log has the traceback)"
    reasons = {
        "fax": "the connector miscounted failed in its draft: KeyError: 'pages'" + bug,
        "telex": "the connector miscounted failed in its unready: ZeroDivisionError: "
        "division by zero" + bug,
    }
    document = workflow() | {
        "actions": [
            {
                "id": kind,
                "type": "custom_action",
                "data": {
                    "connector": "miscounted",
                    "action": kind,
                    "params": {"to": "+15555550100"},
                },
            }
            for kind in ("fax", "telex")
        ]
    }
    async with serving(settings, clock) as (client, resources):
        await as_admin(client, resources)
        warnings, steps = await warned_then_traced(client, document)
        assert warnings == {"telex": reasons["telex"]}
        assert {step: steps[step]["reason"] for step in reasons} == reasons
        body = {"trigger_type": "signup", "user_data": EVENT["user"]}
        tried = await client.post("/api/triggers/test", json=body)
        assert tried.status_code == 200, tried.text
        (preview,) = tried.json()["workflows"]
        assert {action["id"]: action["reason"] for action in preview["actions"]} == reasons


class Telling(ConnectorAdapter):
    """A plugin whose readiness check says why it refuses in words that echo its key."""

    code = "telling"
    name = "Telling"
    description = "Pagers."
    actions: ClassVar[Mapping[str, ActionSpec]] = {
        "page": ActionSpec(inputs={"key": {"type": "string", "required": True}}),
    }

    async def execute(self, action: str, params: dict[str, Any], context: ActionContext) -> Any:
        return {}

    def unready(self, action: str, params: Mapping[str, Any], context: ActionContext) -> str | None:
        return f"the pager refuses the key {context.secrets['PAGER_KEY']}"


async def test_a_plugins_readiness_refusal_is_masked_as_its_drafts_is(
    settings: Settings, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readiness check is handed the resolved secrets, as a draft is: what it says is
    masked in the test's trace, the trigger test and the validation's warning."""
    monkeypatch.setattr(registry_module, "_registered", [Telling])
    key = "pager-key-not-to-be-shown"
    document = workflow() | {
        "actions": [
            {
                "id": "page",
                "type": "custom_action",
                "data": {
                    "connector": "telling",
                    "action": "page",
                    "params": {"key": {"$secret": "PAGER_KEY"}},
                },
            }
        ]
    }
    masked = "the pager refuses the key ********"
    async with serving(settings, clock) as (client, resources):
        await as_admin(client, resources)
        stored = await client.put("/api/secrets/PAGER_KEY", json={"value": key})
        assert stored.is_success, stored.text
        warnings, steps = await warned_then_traced(client, document)
        assert warnings == {"page": masked}
        assert steps["page"]["reason"] == masked
        body = {"trigger_type": "signup", "user_data": EVENT["user"]}
        tried = await client.post("/api/triggers/test", json=body)
        assert tried.status_code == 200, tried.text
        (preview,) = tried.json()["workflows"]
        assert [action["reason"] for action in preview["actions"]] == [masked]


async def test_a_webhook_url_the_call_cannot_parse_is_warned_of_and_would_fail(
    client: httpx.AsyncClient,
) -> None:
    """An IPv6 host left without its closing bracket passed both checks, then failed the run
    as an "Invalid port"; unrendered, only a URL that is a template waits for its event."""
    unparsable = {
        "open": "data.url: not a URL (Invalid port: ':1'); write it as http://host:port/path, "
        "the port optional, an IPv6 address in brackets (http://[::1]:8080/)",
        "hostless": "data.url: must be an http:// or https:// URL with a host",
    }
    document = workflow() | {
        "actions": [
            {"id": "open", "type": "webhook_call", "data": {"url": "http://[::1"}},
            {"id": "hostless", "type": "webhook_call", "data": {"url": "https:///hooks"}},
            {"id": "ported", "type": "webhook_call", "data": {"url": "http://h.example:{{ p }}/"}},
        ]
    }
    event = EVENT | {"data": {"p": "80a"}}
    warnings, steps = await warned_then_traced(client, document, event)
    assert warnings == unparsable
    assert {step: steps[step]["reason"] for step in unparsable} == unparsable
    assert steps["ported"]["reason"].startswith("data.url: not a URL (Invalid port: '80a')")


async def test_a_text_or_push_lacking_a_body_is_warned_of_and_would_fail(
    client: httpx.AsyncClient,
) -> None:
    """As an email's: an SMS, WhatsApp or push step left as the palette adds it passed both
    checks, then failed the run for want of a body."""
    config = {
        kind: [{"provider": "http", "name": kind, "url": f"http://127.0.0.1:9/{kind}"}]
        for kind in ("sms", "whatsapp", "push")
    }
    configured = await client.put("/api/integrations/notify_service", json={"config": config})
    assert configured.is_success, configured.text
    no_body = "no body: data.body is empty; set data.body or name a template that has one"
    lacking = {
        "sms": no_body,
        "whatsapp": no_body,
        "push": "no title or body: data.title, data.body and data.data are empty; set "
        "data.body or name a template that has one",
    }
    phone = {"recipient": "+15555550100"}
    document = workflow() | {
        "actions": [
            {"id": "sms", "type": "send_sms", "data": phone},
            {"id": "whatsapp", "type": "send_whatsapp", "data": phone},
            {"id": "push", "type": "send_push", "data": {"recipients": ["tok"]}},
            {"id": "texted", "type": "send_sms", "data": phone | {"body": "Hi {{ user.id }}"}},
            {
                "id": "approved",
                "type": "send_whatsapp",
                "data": phone | {"template": {"name": "order_update"}},
            },
            {"id": "titled", "type": "send_push", "data": {"recipients": ["t"], "title": "Hi"}},
        ]
    }
    warnings, steps = await warned_then_traced(client, document)
    assert warnings == lacking
    assert {step: steps[step]["reason"] for step in lacking} == lacking
    assert {steps[step]["status"] for step in ("texted", "approved", "titled")} == {"completed"}


async def test_a_message_whose_recipient_renders_empty_or_wrong_would_fail_as_it_would_live(
    client: httpx.AsyncClient,
) -> None:
    """Its recipient is known once the event renders the step: a dry run passed an email
    to nobody, or to an address with a typo, as sure to complete, and the run failed. The
    reasons are the messages the channels raise when the step runs (tests/actions/channels)."""
    config = {
        "smtp": {"host": "mail.example.com", "port": 2525, "tls": "none", "from": SENDER},
        "sms": [{"provider": "http", "name": "sms", "url": "http://127.0.0.1:9/sms"}],
        "push": [{"provider": "http", "name": "push", "url": "http://127.0.0.1:9/push"}],
    }
    configured = await client.put("/api/integrations/notify_service", json={"config": config})
    assert configured.is_success, configured.text
    refused = {
        "nobody": "no recipient: data.recipient is empty and the event's user has no email",
        "blank": "no recipient: data.recipient is empty and the event's user has no email",
        "typo": "data.recipient: 'ada at example.com' is not an email address (ada@example.com "
        "or Ada <ada@example.com>)",
        "listed": "data.recipients.1: 'bob' is not an email address (ada@example.com or Ada "
        "<ada@example.com>)",
        "text": "data.recipient: '555' is not an E.164 phone number such as +14155550123",
        "unphoned": "no recipient: data.recipient is empty and the event's user has no phone, "
        "nor has their profile",
        "push": "no recipient: data.recipients is empty and the event's user has no "
        "deviceToken, nor has their profile",
    }
    mail = {"subject": "Hi", "body": "Welcome"}
    document = workflow() | {
        "actions": [
            {"id": "nobody", "type": "send_email", "data": mail},
            {"id": "blank", "type": "send_email", "data": mail | {"recipient": "{{ boss }}"}},
            {"id": "typo", "type": "send_email", "data": mail | {"recipient": "{{ to }}"}},
            {
                "id": "listed",
                "type": "send_email",
                "data": mail | {"recipients": ["{{ to_ok }}", "{{ cc }}"]},
            },
            {"id": "text", "type": "send_sms", "data": {"recipient": "{{ phone }}", "body": "x"}},
            {"id": "unphoned", "type": "send_sms", "data": {"body": "x"}},
            {
                "id": "push",
                "type": "send_push",
                "data": {"recipients": ["{{ token }}"], "body": "x"},
            },
            {"id": "fine", "type": "send_email", "data": mail | {"recipient": "{{ to_ok }}"}},
        ]
    }
    data: dict[str, Any] = {"boss": "", "to": "ada at example.com", "to_ok": "ada@example.com"}
    data |= {"cc": "bob", "phone": "555", "token": None}
    event = {"type": "signup", "user": {"id": "u1"}, "data": data}
    warnings, steps = await warned_then_traced(client, document, event)
    assert warnings == {}, "unrendered, a recipient is not known yet"
    assert {step: steps[step].get("reason") for step in refused} == refused
    assert steps["fine"]["status"] == "completed"
    body = {"trigger_type": "signup", "user_data": event["user"], "data": data}
    (preview,) = (await client.post("/api/triggers/test", json=body)).json()["workflows"]
    reasons = {action["id"]: action.get("reason") for action in preview["actions"]}
    assert {step: reasons[step] for step in refused} == refused


async def test_a_templated_messages_dry_run_shows_it_as_the_event_renders_it(
    client: httpx.AsyncClient,
) -> None:
    """A step naming a stored template showed `{}` (its data) as what it would send: the
    subject and text the user would read were nowhere in its trace."""
    config = {
        "smtp": {"host": "mail.example.com", "port": 2525, "tls": "none", "from": SENDER},
        "sms": [{"provider": "http", "name": "sms", "url": "http://127.0.0.1:9/sms"}],
    }
    configured = await client.put("/api/integrations/notify_service", json={"config": config})
    assert configured.is_success, configured.text
    templates = [
        {
            "name": "welcome_email",
            "subject": "Welcome, {{ user.name }}",
            "text": "Your code is {{ code }}.",
            "html": "<p>Your code is {{ code }}.</p>",
        },
        {"name": "welcome_text", "text": "Hi {{ user.name }}, your code is {{ code }}."},
    ]
    for template in templates:
        assert (await client.post("/api/templates", json=template)).status_code == 201
    variables = {"variables": {"code": "{{ code }}"}}
    document = workflow() | {
        "actions": [
            {"id": "mail", "type": "send_email", "template": "welcome_email", "data": variables},
            {"id": "text", "type": "send_sms", "template": "welcome_text", "data": variables},
        ]
    }
    user = {"id": "u1", "name": "Ada", "email": "ada@example.com", "phone": "+15555550100"}
    event = {"type": "signup", "user": user, "data": {"code": "K7"}}
    _, steps = await warned_then_traced(client, document, event)
    assert steps["mail"]["output"]["message"] == {
        "from": SENDER,
        "to": ["ada@example.com"],
        "reply_to": None,
        "subject": "Welcome, Ada",
        "text": "Your code is K7.",
        "html": "<p>Your code is K7.</p>",
    }
    assert steps["text"]["output"]["message"] == {
        "to": "+15555550100",
        "body": "Hi Ada, your code is K7.",
    }
    body = {"trigger_type": "signup", "user_data": user, "data": event["data"]}
    (preview,) = (await client.post("/api/triggers/test", json=body)).json()["workflows"]
    messages = {action["id"]: action["message"] for action in preview["actions"]}
    assert messages == {step: steps[step]["output"]["message"] for step in ("mail", "text")}


async def test_an_event_sent_as_the_body_is_told_to_go_under_event(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/api/workflows", json=workflow())).status_code == 201
    reply = await client.post("/api/workflows/greet/test", json=EVENT)
    assert reply.status_code == 422
    # Was "body.event: Field required" and "Extra inputs are not permitted" for each field.
    assert reply.json()["error"]["details"] == [
        {
            "loc": ["body"],
            "msg": 'the event goes under event: {"event": {"type": ..., "user": ..., '
            '"data": ...}}; the body takes event, script',
        }
    ]
