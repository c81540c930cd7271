"""A message action's Template field offers the stored templates by name: it was a bare text
box, and a marketer had to remember (or look up under Governance) the exact name of the
template to send, or learn of a typo from a failed run."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in


def test_the_template_field_offers_the_stored_templates(page: Page, service: Service) -> None:
    created = service.api(
        "POST", "/api/templates", json={"name": "suggested_welcome", "text": "Hi {{ user.id }}"}
    )
    assert created.status_code == 201, created.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "offers_templates", "Offers templates", "offers_signup")
    page.get_by_role("button", name="Send email", exact=True).click()

    field = page.locator(".inspector-pane").get_by_label("Template")
    expect(field).to_have_attribute("list", re.compile(r"\S"))
    offered = page.locator(f"[id='{field.get_attribute('list')}'] option")
    expect(offered.and_(page.locator("[value='suggested_welcome']"))).to_have_count(1)
