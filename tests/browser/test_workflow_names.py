"""Workflows shown by the names people gave them, each with its id beside it, where the
Studio showed the id alone: the runs list, its workflow filter, a run's page and the error
workflow's picker."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

NAMED: dict[str, Any] = {
    "workflow_id": "browser_names_welcome",
    "name": "Warm welcome",
    "trigger": {"type": "browser_names_signup"},
    "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
}
OTHER: dict[str, Any] = NAMED | {
    "workflow_id": "browser_names_other",
    "name": "Some other workflow",
    "trigger": {"type": "browser_names_other_signup"},
}


def test_runs_and_the_error_workflow_picker_show_the_workflows_name(
    page: Page, service: Service
) -> None:
    service.publish(NAMED)
    service.publish(OTHER)
    event = {"type": "browser_names_signup", "user": {"id": "named_user"}}
    run_id = service.settled_run(event, "completed")
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs?user_id=named_user")
    row = page.locator(f"tr[data-run='{run_id}']")
    expect(row.get_by_role("cell", name="Warm welcome browser_names_welcome v1")).to_be_visible()
    page.get_by_label("Workflow").select_option(label="Warm welcome")
    expect(page).to_have_url(
        f"{service.base}/studio/runs?workflow_id=browser_names_welcome&user_id=named_user"
    )

    row.get_by_role("link", name=run_id).click()
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Warm welcome browser_names_welcome version 1")
    facts.get_by_role("link", name="Warm welcome").click()
    expect(page).to_have_url(f"{service.base}/studio/workflows/browser_names_welcome")

    page.goto(f"{service.base}/studio/workflows/browser_names_other")
    page.locator("[data-node='trigger']").click()
    page.get_by_label("Error workflow").select_option(label="Warm welcome")
    expect(page.get_by_label("Error workflow")).to_have_value("browser_names_welcome")
