"""A newcomer's first workflow, built on the canvas from the palette's defaults: the
condition as the palette adds it reads the event's data where events carry it (at the root
of the run's context, not under ``data.``), its form's rows are each a "Condition", and a
webhook's JSON body is typed in the inspector's form (rjsf had no field for a schema
without a type, and showed its "Unsupported field schema" notice instead) and reaches the
endpoint as JSON; fields' descriptions show their `code` as code."""

import json
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer

from tests.browser.conftest import Service, open_on_canvas, sign_in


def test_a_palette_condition_and_a_webhook_body_typed_in_the_form_reach_the_sink(
    page: Page, service: Service
) -> None:
    sink = HTTPServer(host="127.0.0.1", port=0)
    sink.expect_request("/signup", method="POST").respond_with_json({"ok": True})
    sink.start()
    try:
        sign_in(page, service, service.key)
        page.goto(service.base + "/studio/wizard")
        open_on_canvas(page, "first_on_canvas", "First on the canvas", "first_signup")

        page.get_by_role("button", name="Condition", exact=True).click()
        # Each row of the form is "Condition", not rjsf's "Conditions-1".
        expect(page.locator(".inspector")).to_contain_text("Condition*")
        expect(page.locator(".inspector")).not_to_contain_text("Conditions-1")
        page.locator(".node-slot", has_text="add to then").click()
        page.get_by_role("button", name="Webhook call", exact=True).click()
        # The missing url is marked on its own field, not on the whole form.
        marked = page.locator(".inspector .rjsf-field-string.has-error")
        expect(marked).to_have_count(1)
        expect(marked.get_by_label("url")).to_be_visible()
        page.get_by_label("url").fill(f"{sink.url_for('/signup')}")
        body = page.get_by_label("json")
        body.fill('{"total": "{{ total }}", "who": "{{ user.id }}"')
        body.press_sequentially("}")
        expect(page.locator(".inspector")).not_to_contain_text("Unsupported field schema")
        # Fields' descriptions show their `code` spans as code, not as backticks.
        page.get_by_role("button", name="Send email", exact=True).click()
        recipient = page.locator(".inspector .field-description", has_text="default: the event")
        expect(recipient.locator("code", has_text="user.email")).to_be_visible()
        expect(recipient).not_to_contain_text("`")
        page.get_by_role("button", name="Delete").click()
        # Not saved yet: the Test tab says why it cannot be opened.
        expect(page.get_by_role("tab", name="Test", exact=True)).to_have_accessible_description(
            "Test and Versions work on the saved workflow: Save draft or Publish first."
        )
        page.get_by_role("button", name="Publish").click()
        page.get_by_text("Published version 1").wait_for()

        page.get_by_role("tab", name="Test", exact=True).click()
        # The event as docs/api.md writes one: the business fields under "data".
        page.get_by_label("Event data").fill('{"total": 150}')
        page.get_by_role("button", name="Send a real event").click()
        page.get_by_role("status", name="Sent event").get_by_role("link", name="Follow run").click()
        expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    finally:
        sink.stop()
    [(request, _)] = sink.log
    assert json.loads(request.get_data()) == {"total": 150, "who": "u1"}


def test_an_empty_workflow_list_points_an_editor_to_a_first_workflow(
    page: Page, service: Service
) -> None:
    # An editor's key that reaches one workflow not made yet: its list is empty, as a new
    # tenant's is (the service is shared).
    created = service.api(
        "POST",
        "/api/keys",
        json={"role": "editor", "name": "none yet", "workflows": ["browser_not_made_yet"]},
    )
    assert created.status_code == 201, created.text
    sign_in(page, service, created.json()["key"])
    page.goto(service.base + "/studio/")

    expect(page.get_by_text("No workflows yet")).to_be_visible()
    first = page.get_by_role("link", name="create your first workflow")
    expect(first).to_have_attribute("href", "/studio/wizard")


def test_a_workflow_template_starts_on_the_next_id_no_workflow_holds(
    page: Page, service: Service
) -> None:
    """The wizard named a template's copy `welcome_campaign_001_copy` whatever the tenant
    held; a person numbering copies goes on from the seed's number."""
    headers = {"Authorization": f"Bearer {service.key}", "Content-Type": "application/json"}
    seed = Path(__file__).parents[2] / "examples" / "workflows" / "welcome_campaign_001.json"
    created = httpx.post(
        f"{service.base}/api/workflows", content=seed.read_bytes(), headers=headers
    )
    assert created.status_code in (201, 409), created.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")

    page.get_by_role("radio", name="Welcome Campaign").check()

    expect(page.get_by_label("Workflow id")).to_have_value("welcome_campaign_002")
