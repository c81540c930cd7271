"""The canvas in Chromium: a workflow built from the palette (trigger, condition, send_email
with a template, a delay) shows the API's validation error on its node and field, then is
published (issue 15, item 12)."""

from playwright.sync_api import Page

from tests.browser.conftest import Service, sign_in


def test_a_workflow_built_from_the_palette_shows_its_error_on_the_node_then_publishes(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.key)
    page.get_by_role("link", name="New workflow").first.click()
    page.get_by_label("Workflow id").fill("built_on_canvas")
    page.get_by_label("Name", exact=True).fill("Built on the canvas")
    page.get_by_label("Event type").fill("order_placed")
    page.get_by_role("button", name="Open on the canvas").click()

    page.get_by_role("button", name="Condition", exact=True).click()
    page.locator("[data-node='condition_1']").click()
    page.get_by_role("button", name="Send email", exact=True).click()
    page.get_by_label("Template").fill("order_thanks")
    page.get_by_role("button", name="Delay", exact=True).click()
    page.get_by_label("Delay", exact=True).fill("soon")

    on_node = page.locator("[data-node='delay_1'] .node-problem")
    on_node.wait_for()
    assert "a delay is seconds or an ISO 8601 duration" in on_node.inner_text()
    on_field = page.locator(".text-field.invalid .field-problems")
    assert "a delay is seconds or an ISO 8601 duration" in on_field.inner_text()

    page.get_by_label("Delay", exact=True).fill("PT5M")
    on_node.wait_for(state="detached")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/studio/workflows/built_on_canvas")
    page.get_by_text("Published version 1").wait_for()

    saved = service.api("GET", "/api/workflows/built_on_canvas").json()
    assert saved["active_version"] == 1
    actions = saved["document"]["actions"]
    assert [a["type"] for a in actions] == ["condition", "send_email", "delay"]
    assert actions[1]["template"] == "order_thanks"
    assert actions[2]["delay"] == "PT5M"
