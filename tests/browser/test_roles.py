"""The key's role decides what the Studio offers: a viewer sees the workflows and no button
that would change them (and the API refuses such changes anyway: tests/api/test_session.py)."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

CHANGES = ["Disable", "Archive"]
READ_ONLY = (
    "Read only: a key with the viewer role reads workflows; an admin's or an editor's key"
    " changes them."
)


def test_an_admin_is_offered_the_workflow_commands(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    sign_in(page, service, service.key)

    row = page.locator(f"tr[data-workflow='{workflow['workflow_id']}']")
    for name in CHANGES:
        expect(row.get_by_role("button", name=name)).to_be_visible()
    expect(page.get_by_role("link", name="New workflow").first).to_be_visible()


def test_a_viewer_sees_the_workflows_but_no_command_that_changes_them(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    sign_in(page, service, service.new_key("viewer", "browser viewer"))

    row = page.locator(f"tr[data-workflow='{workflow['workflow_id']}']")
    expect(row).to_contain_text(str(workflow["name"]))
    expect(page.get_by_text("viewer")).to_be_visible()
    for name in CHANGES:
        expect(row.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_role("link", name="New workflow")).to_have_count(0)


def test_a_viewer_reaches_the_greyed_fields_of_a_workflow_and_reads_why(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    """The error workflow's and the delay unit's pickers were `disabled` for a viewer: out of
    the keyboard's reach, and nothing said why."""
    sign_in(page, service, service.new_key("viewer", "browser viewer of fields"))
    page.goto(f"{service.base}/studio/workflows/{workflow['workflow_id']}")
    page.locator("[data-node='trigger']").click()

    error_workflow = page.get_by_label("Error workflow")
    expect(error_workflow).to_have_attribute("aria-disabled", "true")
    expect(error_workflow).to_have_accessible_description(READ_ONLY)
    error_workflow.focus()
    expect(error_workflow).to_be_focused()
    error_workflow.press("ArrowDown")
    expect(error_workflow).to_have_value("")
    page.locator("[data-node='hello']").click()
    expect(page.get_by_label("Delay unit")).to_have_accessible_description(READ_ONLY)


FORMS = {
    "workflow_id": "browser_viewer_forms",
    "name": "Browser viewer forms",
    "trigger": {
        "type": "browser_viewer_signup",
        "conditions": [{"field": "plan", "operator": "equals", "value": "pro"}],
    },
    "actions": [
        {
            "id": "notify",
            "type": "webhook_call",
            "data": {"url": "http://127.0.0.1:9/hook", "method": "PUT", "follow_redirects": True},
        }
    ],
}


def test_a_viewer_reaches_the_inspectors_generated_fields_and_reads_why(
    page: Page, service: Service
) -> None:
    """The generated forms' pickers and checkboxes were `disabled` for a viewer: a keyboard or
    screen-reader user never reached the operator a condition uses or a webhook's method."""
    service.publish(FORMS)
    sign_in(page, service, service.new_key("viewer", "browser viewer of forms"))
    page.goto(f"{service.base}/studio/workflows/{FORMS['workflow_id']}")
    page.locator("[data-node='trigger']").click()

    operator = page.locator("#trigger-conditions_0_operator")
    chosen = operator.locator("option:checked")
    equals = chosen.inner_text()
    expect(operator).to_have_attribute("aria-disabled", "true")
    expect(operator).to_have_accessible_description(READ_ONLY)
    operator.focus()
    expect(operator).to_be_focused()
    operator.press("ArrowDown")
    expect(chosen).to_have_text(equals)
    field = page.locator("#trigger-conditions_0_field")
    expect(field).to_have_js_property("readOnly", True)
    expect(field).to_be_enabled()

    page.locator("[data-node='notify']").click()
    method = page.locator("#notify-data_method")
    expect(method.locator("option:checked")).to_have_text("PUT")
    expect(method).to_have_js_property("disabled", False)
    expect(method).to_have_attribute("aria-disabled", "true")
    expect(method).to_have_accessible_description(READ_ONLY)
    redirects = page.locator("#notify-data_follow_redirects")
    expect(redirects).to_be_checked()
    expect(redirects).to_have_attribute("aria-disabled", "true")
    redirects.focus()
    redirects.press("Space")
    expect(redirects).to_be_checked()
