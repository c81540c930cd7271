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


def test_a_trigger_condition_value_that_cannot_compare_is_marked_on_the_value(
    page: Page, service: Service
) -> None:
    # The API located it at the condition ("value: ..." in the message), so the form marked
    # the condition as a whole and the Value field looked fine.
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, "marks_trigger_values", "Marks trigger values", "marks_value")
    page.get_by_role("button", name="Log", exact=True).click()
    page.get_by_role("group", name="trigger on marks_value").click()
    page.locator(".inspector-pane").get_by_role("button", name="Add").click()
    page.get_by_role("textbox", name="Field").fill("total")
    page.get_by_role("combobox", name="Operator").select_option("greater_than")
    page.get_by_role("textbox", name="Value").fill("fifty")

    value = (
        page.locator(".inspector-pane .rjsf-field")
        .filter(has=page.get_by_role("textbox", name="Value"))
        .last
    )
    expect(value.locator(".error-detail")).to_contain_text("'fifty' is neither; write a number")
    page.get_by_role("textbox", name="Value").fill("50")
    expect(value.locator(".error-detail")).to_have_count(0)
