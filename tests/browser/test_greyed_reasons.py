"""Greyed buttons say why, in a line every user reaches: Add hook, Save alert rules and Apply
JSON were `disabled` with no reason given (and out of the keyboard's reach). Each is now
aria-disabled, described by what is left to do, and the description follows the form as it
is filled."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in


def test_add_hook_and_save_alert_rules_say_why_they_are_greyed(
    page: Page, service: Service
) -> None:
    stored = service.api("PUT", "/api/secrets/BROWSER_GREYED", {"value": "whsec_greyed"})
    assert stored.is_success, stored.text
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/hooks")

    form = page.get_by_role("form", name="Add a hook")
    add = form.get_by_role("button", name="Add hook")
    expect(add).to_have_attribute("aria-disabled", "true")
    expect(add).to_have_accessible_description(
        "To add the hook, name it, give the event type its deliveries become, and pick the"
        " signing secret (the sender signs each delivery with it)."
    )
    form.get_by_label("Name").fill("Greyed payments")
    form.get_by_label("Event type").fill("greyed_payment")
    expect(add).to_have_accessible_description(
        "To add the hook, pick the signing secret (the sender signs each delivery with it)."
    )
    form.get_by_label("Signing secret").select_option("BROWSER_GREYED")
    form.get_by_label("Mapping (JSON, optional)").fill("[1]")
    expect(add).to_have_accessible_description(
        "To add the hook, correct the mapping's JSON. Expected a JSON object ({ … })."
    )
    form.get_by_label("Mapping (JSON, optional)").fill("")
    expect(add).not_to_have_attribute("aria-disabled", "true")
    add.click()
    expect(page.get_by_label("URL of Greyed payments")).to_be_visible()

    page.goto(f"{service.base}/studio/governance/alerts")
    save = page.get_by_role("button", name="Save alert rules")
    expect(save).not_to_have_attribute("aria-disabled", "true")
    page.get_by_label("Alert rules (JSON)").fill('{"rules": [')
    expect(save).to_have_attribute("aria-disabled", "true")
    # The parser's own words follow, as the browser's JSON.parse says them.
    expect(save).to_have_accessible_description(
        re.compile(r"^To save the alert rules, correct the JSON\. Not valid JSON: \w")
    )
    page.get_by_label("Alert rules (JSON)").fill("[]")
    expect(save).to_have_accessible_description(
        "To save the alert rules, correct the JSON. Expected a JSON object ({ … })."
    )
    page.get_by_label("Alert rules (JSON)").fill('{"rules": []}')
    expect(save).not_to_have_attribute("aria-disabled", "true")


def test_apply_json_says_why_it_is_greyed_until_the_json_is_edited(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    """Apply JSON was `disabled`, with no reason, until the node's JSON was edited."""
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{workflow['workflow_id']}")
    page.locator("[data-node='hello']").click()
    page.locator(".inspector-pane").get_by_role("tab", name="JSON").click()

    apply = page.get_by_role("button", name="Apply JSON")
    expect(apply).to_have_attribute("aria-disabled", "true")
    expect(apply).to_have_accessible_description("Nothing to apply: edit the JSON first.")
    page.get_by_label("Action JSON").locator(".cm-content").press("ControlOrMeta+End")
    page.keyboard.type("\n")
    expect(apply).not_to_have_attribute("aria-disabled", "true")
