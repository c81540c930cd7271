"""Greyed buttons say why, in a line every user reaches: Add hook and Save alert rules were
`disabled` with no reason given (and out of the keyboard's reach). Each is now aria-disabled,
described by what is left to do, and the description follows the form as it is filled."""

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
