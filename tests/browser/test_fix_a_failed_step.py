"""A run failed on a missing message template is fixed from the console, as a marketer
would, with no curl: the run page's error links to the page that makes the template, that
page opens on a new template of that name, and Retry completes the run. Before, the run page
said only "create it with POST /api/templates" and the Templates page opened empty."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

THANKS: dict[str, Any] = {
    "workflow_id": "browser_fix_thanks",
    "name": "Browser fix thanks",
    "trigger": {"type": "browser_fix_purchase"},
    "actions": [
        {
            "id": "thank",
            "type": "send_email",
            "template": "browser_fix_thanks_email",
            "data": {"recipient": "{{ user.email }}", "subject": "Thanks!"},
        }
    ],
}


def test_a_run_failed_on_a_missing_template_is_fixed_and_retried_from_its_page(
    page: Page, service: Service
) -> None:
    service.publish(THANKS)
    event = {"type": "browser_fix_purchase", "user": {"id": "u-fix", "email": "fix@example.com"}}
    run_id = service.settled_run(event, "failed")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    failure = page.get_by_role("alert").filter(has_text="The run failed")
    expect(failure).to_contain_text("'browser_fix_thanks_email' was not found")
    step_error = page.get_by_role("note", name="Error of step thank")
    expect(
        step_error.get_by_role("link", name="Create it under Governance → Templates")
    ).to_be_visible()
    failure.get_by_role("link", name="Create it under Governance → Templates").click()

    name = page.get_by_role("textbox", name="Name", exact=True)
    expect(name).to_have_value("browser_fix_thanks_email")
    page.get_by_label("Plain text").fill("Thank you for your order.")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="browser_fix_thanks_email")).to_be_visible()

    page.go_back()
    page.get_by_role("button", name="Retry", exact=True).click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator("[data-step='thank'][data-status='completed']")).to_be_visible()
