"""An unsaved workflow's Test and Versions tabs say why they do not open where keyboard and
screen-reader users reach it: in text on the page that each tab is described by, and on a
tab that still takes focus (a disabled button takes none), not only in a hover tooltip."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in

REASON = "Test and Versions work on the saved workflow: Save draft or Publish first."


def test_the_greyed_tabs_of_an_unsaved_workflow_say_why_to_keyboard_and_screen_readers(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "not_saved_yet", "Not saved yet", "not_saved_signup")

    expect(page.get_by_text(REASON)).to_be_visible()
    for name in ("Test", "Versions"):
        tab = page.get_by_role("tab", name=name, exact=True)
        expect(tab).to_have_accessible_description(REASON)
        expect(tab).to_have_attribute("aria-disabled", "true")
        tab.focus()
        expect(tab).to_be_focused()
        tab.press("Enter")  # greyed: it does not open
        expect(tab).to_have_attribute("aria-selected", "false")
    expect(page.get_by_role("tab", name="Canvas", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
