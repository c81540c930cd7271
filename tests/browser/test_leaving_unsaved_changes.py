"""Leaving the editor with unsaved changes asks first. Before, any link (the header, a
warning's "Create it under Governance → Message templates") dropped every edit without a word; a
marketer following the warning's own advice lost the workflow they were building."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in


def test_a_link_out_of_unsaved_edits_asks_and_a_save_no_longer_does(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "asks_before_leaving", "Asks before leaving", "asks_signup")
    page.get_by_role("button", name="Log", exact=True).click()
    header = page.get_by_role("navigation", name="Main")

    header.get_by_role("link", name="Runs").click()
    ask = page.get_by_role("alertdialog", name="Unsaved changes")
    expect(ask).to_contain_text("Asks before leaving has changes that are not saved")
    stay = ask.get_by_role("button", name="Stay and keep editing")
    expect(stay).to_be_focused()
    stay.click()
    expect(ask).to_have_count(0)
    header.get_by_role("link", name="Runs").click()
    expect(stay).to_be_focused()
    page.keyboard.press("Escape")  # closes the question, staying
    expect(ask).to_have_count(0)
    expect(header.get_by_role("link", name="Runs")).to_be_focused()  # not the page's start
    expect(page.locator("[data-node='log_1']")).to_be_visible()
    assert page.url.endswith("/studio/wizard/canvas")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/studio/workflows/asks_before_leaving")
    expect(ask).to_have_count(0)
    header.get_by_role("link", name="Runs").click()
    page.wait_for_url("**/studio/runs")

    page.go_back()
    page.get_by_role("button", name="Delay", exact=True).click()
    header.get_by_role("link", name="Events").click()
    ask.get_by_role("button", name="Leave without saving").click()
    page.wait_for_url("**/studio/events")
    saved = service.api("GET", "/api/workflows/asks_before_leaving").json()
    assert [a["type"] for a in saved["document"]["actions"]] == ["log"]


def test_signing_out_of_unsaved_edits_asks_first(page: Page, service: Service) -> None:
    """Sign out dropped the edits without a word, as links did before they asked."""
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "asks_before_sign_out", "Asks before sign-out", "asks_sign_out")
    page.get_by_role("button", name="Log", exact=True).click()

    page.get_by_role("button", name="Sign out").click()
    ask = page.get_by_role("alertdialog", name="Unsaved changes")
    expect(ask).to_contain_text("Asks before sign-out has changes that are not saved")
    expect(ask).to_contain_text("Sign out and lose them?")
    expect(ask.get_by_role("button", name="Stay and keep editing")).to_be_focused()
    page.keyboard.press("Escape")  # stays, signed in, the edit kept
    expect(ask).to_have_count(0)
    # The focus goes back to Sign out, not to the page's start.
    expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    expect(page.locator("[data-node='log_1']")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    ask.get_by_role("button", name="Sign out without saving").click()
    expect(page.get_by_label("API key")).to_be_visible()
