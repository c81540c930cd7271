"""The Rule Tester of a workflow whose trigger has no conditions: it opens on the condition
step that has some and tests them; on the trigger it says there is nothing to test instead
of sending the API an empty list (whose 422 a newcomer met as the tab's first answer). Its
sample payload is the Test tab's event, message templates' fields included."""

import json
import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

PLANS: dict[str, Any] = {
    "workflow_id": "browser_rule_plans",
    "name": "Browser rule plans",
    "trigger": {"type": "browser_rule_signup"},
    "actions": [
        {
            "id": "pro_only",
            "type": "condition",
            "conditions": [{"field": "plan", "operator": "equals", "value": "pro"}],
            "then": [{"id": "hello", "type": "log", "data": {"message": "pro"}}],
        }
    ],
}


def test_the_rule_tester_opens_on_conditions_and_says_when_there_are_none(
    page: Page, service: Service
) -> None:
    service.publish(PLANS)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{PLANS['workflow_id']}")
    page.get_by_role("tab", name="Rule Tester").click()

    tester = page.get_by_role("region", name="Rule Tester")
    expect(tester.get_by_label("Conditions of")).to_have_value("pro_only")
    tester.get_by_role("button", name="Test the conditions").click()
    expect(tester.get_by_label("Rule results")).to_contain_text("All together: true")

    tester.get_by_label("Conditions of").select_option("trigger")
    expect(tester.get_by_role("note")).to_contain_text(
        "the trigger has none, so every event of its type starts a run"
    )
    expect(tester.get_by_role("button", name="Test the conditions")).to_be_disabled()


REMINDER_TEMPLATE = {
    "name": "browser_rule_cart_reminder",
    "subject": "{{ user.firstName }}, your cart",
    "text": "Your cart of {{ cart.total }} is waiting.",
}
REMINDED: dict[str, Any] = {
    "workflow_id": "browser_rule_reminded",
    "name": "Browser rule reminded",
    "trigger": {"type": "browser_rule_cart"},
    "actions": [
        {
            "id": "big_cart",
            "type": "condition",
            "conditions": [{"field": "cart_value", "operator": "greater_than", "value": 50}],
            "then": [
                {
                    "id": "remind",
                    "type": "send_email",
                    "template": REMINDER_TEMPLATE["name"],
                    "data": {"recipient": "{{ user.email }}"},
                }
            ],
        }
    ],
}


def test_the_rule_testers_sample_payload_holds_what_the_message_templates_read(
    page: Page, service: Service
) -> None:
    """The Rule Tester's sample left out the fields of the message templates the steps name,
    which the Test tab's sample event has carried since they were read."""
    created = service.api("POST", "/api/templates", json=REMINDER_TEMPLATE)
    assert created.status_code in (201, 409), created.text
    service.publish(REMINDED)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{REMINDED['workflow_id']}")
    page.get_by_role("tab", name="Rule Tester").click()

    tester = page.get_by_role("region", name="Rule Tester")
    payload = tester.get_by_label("Sample payload")
    expect(payload).to_have_value(re.compile('"firstName"'))
    sample = json.loads(payload.input_value())
    assert sample["cart_value"] > 50
    assert isinstance(sample["cart"]["total"], int | float)
    assert sample["user"]["firstName"]
