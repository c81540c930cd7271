"""Tenant settings in a real browser: an admin turns four-eyes publishing on and sets how
many days events are kept, and the API reads both back; a viewer sees them and changes
nothing."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

ADMINS_ONLY = "Only admins change the tenant's settings: your key reads them."


@pytest.fixture
def defaults(service: Service) -> Iterator[None]:
    """The shared service's tenant back to its settings and retention after the test."""
    retention = service.api("GET", "/api/tenant/retention").json()
    try:
        yield
    finally:
        service.api("PUT", "/api/tenant/settings", {"four_eyes_publishing": False})
        service.api("PUT", "/api/tenant/retention", retention)


def test_an_admin_turns_four_eyes_on_and_sets_retention(
    page: Page, service: Service, defaults: None
) -> None:
    page.clock.install()
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/settings")

    four_eyes = page.get_by_label("Four-eyes publishing")
    expect(four_eyes).not_to_be_checked()
    # With the page's timers held, as on a busy machine, the box still keeps the click.
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=1))
    four_eyes.check()
    page.clock.resume()
    expect(page.get_by_text("On: a version one API key publishes waits")).to_be_visible()
    # The box shows the change at once; the API has it when the page says it is saved.
    expect(page.get_by_role("group", name="Publishing").get_by_role("status")).to_have_text(
        "Saved."
    )
    assert service.api("GET", "/api/tenant/settings").json() == {"four_eyes_publishing": True}

    events = page.get_by_label("Events (days)")
    events.fill("0")
    expect(page.get_by_text("Events: a whole number of days from 1 to 36,500")).to_be_visible()
    events.fill("30")
    page.get_by_label("Audit entries (days)").fill("")
    page.get_by_role("button", name="Save retention").click()
    expect(page.get_by_role("form", name="Data retention").get_by_role("status")).to_have_text(
        "Saved."
    )
    retention = service.api("GET", "/api/tenant/retention").json()
    assert (retention["events_days"], retention["audit_days"]) == (30, None)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, service, service.new_key("viewer", "settings viewer"))
    page.goto(f"{service.base}/studio/governance/settings")
    # Greyed, not disabled: the keyboard reaches each setting and hears why it stays as it is.
    four_eyes = page.get_by_label("Four-eyes publishing")
    expect(four_eyes).to_be_checked()
    expect(four_eyes).to_have_attribute("aria-disabled", "true")
    expect(four_eyes).to_have_accessible_description(ADMINS_ONLY)
    four_eyes.focus()
    expect(four_eyes).to_be_focused()
    four_eyes.press("Space")
    four_eyes.click(force=True)  # as a mouse would, past Playwright's wait for an enabled box
    expect(four_eyes).to_be_checked()
    events = page.get_by_label("Events (days)")
    expect(events).to_have_value("30")
    expect(events).not_to_be_editable()
    expect(events).to_have_accessible_description(ADMINS_ONLY)
    expect(page.get_by_role("button", name="Save retention")).to_have_count(0)
