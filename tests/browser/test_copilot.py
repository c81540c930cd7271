"""The wizard's "Describe your workflow" box in Chromium: the sentence goes to the copilot
(its model a stand-in server, tests/stand_in_models.py), the draft opens on the canvas with
the model's assumptions, and saving it is the user's act. With no model, an editor is told
in plain words who sets one up."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in
from tests.stand_in_models import StandInOpenAI

SENTENCE = (
    "When a high value order comes in, email the customer a thank-you and alert sales on Slack"
)
DRAFT = {
    "document": {
        "workflow_id": "high_value_order",
        "name": "High value order",
        "trigger": {
            "type": "order_placed",
            "conditions": [{"field": "amount", "operator": "greater_than", "value": 500}],
        },
        "actions": [
            {
                "id": "thank_customer",
                "type": "send_email",
                "data": {
                    "recipient": "{{ user.email }}",
                    "subject": "Thank you!",
                    "body": "Thanks for order {{ order_id }}",
                },
            },
            {
                "id": "alert_sales",
                "type": "webhook_call",
                "data": {
                    "url": "https://hooks.slack.com/services/T0/B0/X",
                    "json": {"text": "High value order {{ order_id }}"},
                },
            },
        ],
    },
    "explanation": "Thanks the customer by email and tells sales on Slack.",
    "assumptions": ["High value means an amount over 500"],
}


def test_a_described_workflow_opens_on_the_canvas_as_a_draft(
    page: Page, service: Service, model: StandInOpenAI
) -> None:
    model.replies[:] = [DRAFT]
    sign_in(page, service, service.key)
    page.get_by_role("link", name="New workflow").first.click()

    page.get_by_label("What should happen, in a sentence").fill(SENTENCE)
    page.get_by_role("button", name="Draft it").click()

    page.wait_for_url("**/studio/wizard/canvas")
    notes = page.get_by_role("complementary", name="Copilot draft")
    notes.get_by_text("High value means an amount over 500").wait_for()
    page.locator("[data-node='alert_sales']").wait_for()
    page.locator("[data-node='thank_customer']").wait_for()
    assert SENTENCE in model.requests[-1]["messages"][1]["content"]
    # A draft, not a workflow: nothing is saved until the user saves it.
    assert service.api("GET", "/api/workflows/high_value_order").status_code == 404


@pytest.fixture
def no_model(service: Service) -> Iterator[None]:
    """A tenant provider with no model, so the copilot cannot draft; removed after the test
    (the package's other tests draft with the deployment's stand-in)."""
    half_done = {"providers": [{"provider": "openai", "base_url": "http://127.0.0.1:9/v1"}]}
    put = service.api("PUT", "/api/integrations/ai", json={"config": half_done})
    assert put.status_code in (200, 201), put.text
    yield
    service.api("DELETE", "/api/integrations/ai")


def test_an_editor_is_told_in_plain_words_that_an_admin_sets_up_the_model(
    page: Page, service: Service, no_model: None
) -> None:
    """The note gave an editor the API's reason, written for whoever runs the service:
    environment variables and a PUT request, neither of which a marketer can use."""
    sign_in(page, service, service.new_key("editor", "browser editor of the wizard"))
    page.goto(service.base + "/studio/wizard")

    note = page.get_by_role("note")
    expect(note).to_contain_text("an admin sets one up under Governance → AI")
    expect(note).not_to_contain_text("AUTOMATOR_")
    expect(note).not_to_contain_text("/api/")
    expect(page.get_by_role("button", name="Draft it")).to_have_attribute("aria-disabled", "true")
