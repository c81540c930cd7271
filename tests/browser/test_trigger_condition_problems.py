"""A trigger condition's problem is shown on its own field, as a condition step's is: the
trigger's form showed none, and the node said only "String should have at least 1 character",
leaving a marketer to guess which of the workflow's fields it meant."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in


def test_an_empty_trigger_condition_field_is_marked_where_it_is_typed(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "marks_trigger_fields", "Marks trigger fields", "marks_signup")
    page.get_by_role("button", name="Log", exact=True).click()
    page.get_by_role("group", name="trigger on marks_signup").click()
    page.locator(".inspector-pane").get_by_role("button", name="Add").click()

    field = (
        page.locator(".inspector-pane .rjsf-field")
        .filter(has=page.get_by_role("textbox", name="Field"))
        .last
    )
    expect(field.locator(".error-detail")).to_contain_text("at least 1 character")
    page.get_by_role("textbox", name="Field").fill("total")
    expect(field.locator(".error-detail")).to_have_count(0)
