"""A trigger condition's problem is shown on its own field, as a condition step's is: the
trigger's form showed none, and the node said only "String should have at least 1 character",
leaving a marketer to guess which of the workflow's fields it meant."""

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Service, open_on_canvas, sign_in


def a_new_trigger_condition(page: Page, service: Service, workflow_id: str, event: str) -> None:
    """An unsaved workflow on the canvas, its trigger on ``event`` open in the inspector with
    one condition added, still blank."""
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")
    open_on_canvas(page, workflow_id, workflow_id.replace("_", " ").capitalize(), event)
    page.get_by_role("button", name="Log", exact=True).click()
    page.get_by_role("group", name=f"trigger on {event}").click()
    page.locator(".inspector-pane").get_by_role("button", name="Add").click()


def form_field(page: Page, label: str) -> Locator:
    """The inspector's field holding the text box ``label``, where its problems show."""
    return (
        page.locator(".inspector-pane .rjsf-field")
        .filter(has=page.get_by_role("textbox", name=label))
        .last
    )


def test_an_empty_trigger_condition_field_is_marked_where_it_is_typed(
    page: Page, service: Service
) -> None:
    a_new_trigger_condition(page, service, "marks_trigger_fields", "marks_signup")
    field = form_field(page, "Field")
    expect(field.locator(".error-detail")).to_contain_text(
        "empty: write the field the condition tests, such as cart.total"
    )
    page.get_by_role("textbox", name="Field").fill("total")
    expect(field.locator(".error-detail")).to_have_count(0)


def test_the_inspectors_title_reads_as_written_not_title_cased(
    page: Page, service: Service
) -> None:
    # The stylesheet capitalised every word: "Workflow And Trigger", "Send Email".
    a_new_trigger_condition(page, service, "reads_its_title", "reads_title")
    title = page.locator(".inspector header h2")
    expect(title).to_have_text("Workflow and trigger", use_inner_text=True)


def test_a_trigger_condition_value_that_cannot_compare_is_marked_on_the_value(
    page: Page, service: Service
) -> None:
    # The API located it at the condition ("value: ..." in the message), so the form marked
    # the condition as a whole and the Value field looked fine.
    a_new_trigger_condition(page, service, "marks_trigger_values", "marks_value")
    page.get_by_role("textbox", name="Field").fill("total")
    page.get_by_role("combobox", name="Operator").select_option("greater_than")
    page.get_by_role("textbox", name="Value").fill("fifty")
    value = form_field(page, "Value")
    expect(value.locator(".error-detail")).to_contain_text("'fifty' is neither; write a number")
    page.get_by_role("textbox", name="Value").fill("50")
    expect(value.locator(".error-detail")).to_have_count(0)
