"""The editor fits a laptop's window (1280 x 800): its canvas, palette and inspector take the
height left under the title, a warning and the tabs, and scroll inside themselves. Before,
the palette and inspector were each 80 % of the window high, and with a warning above them
the page was 61 px taller than the window."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

WARNED = {
    "workflow_id": "browser_fits",
    "name": "Browser fits",
    "trigger": {"type": "browser_fits_signup"},
    "actions": [
        {
            "id": "mail",
            "type": "send_email",
            "template": "browser_fits_missing",
            "data": {"recipient": "{{ user.email }}", "subject": "Hi"},
        }
    ],
}
TALLER_THAN_THE_WINDOW = (
    "document.documentElement.scrollHeight - document.documentElement.clientHeight"
)


def test_the_editor_with_a_warning_fits_a_laptop_window(page: Page, service: Service) -> None:
    service.publish(WARNED)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/browser_fits")
    expect(page.get_by_text("Would fail if a run reached this step now")).to_be_visible()
    expect(page.locator("[data-palette]").first).to_be_visible()
    page.locator("[data-node='mail']").click()
    expect(page.locator(".inspector-pane").get_by_label("Name", exact=True)).to_be_visible()

    assert page.evaluate(TALLER_THAN_THE_WINDOW) == 0
    canvas = page.get_by_test_id("canvas").bounding_box()
    assert canvas is not None
    assert canvas["height"] >= 400
