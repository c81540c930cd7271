"""The canvas by keyboard: a node reached with Tab has a name a screen reader says, and
Enter opens it in the inspector as a click does. Before, Tab reached unnamed nodes and Enter
selected them only inside the canvas library, so the inspector never opened: a keyboard user
could add actions but not edit one."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in


def test_enter_on_a_focused_node_opens_it_and_fills_an_empty_arm(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "by_keyboard", "By keyboard", "keyboard_signup")
    page.get_by_role("button", name="Condition", exact=True).click()
    page.get_by_role("button", name="Log", exact=True).click()
    inspector = page.locator(".inspector-pane")

    page.get_by_role("group", name="condition condition_1").focus()
    page.keyboard.press("Enter")
    expect(inspector.get_by_role("heading", name="Condition")).to_be_visible()

    page.get_by_role("group", name="add to else").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Goes into the empty else.")).to_be_visible()
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(inspector.get_by_role("heading", name="Stop")).to_be_visible()
    expect(page.get_by_role("group", name="add to else")).to_have_count(0)
