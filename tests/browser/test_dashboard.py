"""The dashboard in a real browser: the period's runs drawn by status, and the workflow that
fails most listed with a link to its failed runs."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in
from tests.browser.test_explorer import FAILING, order


def test_the_dashboard_charts_runs_and_names_the_workflow_that_fails_most(
    page: Page, service: Service
) -> None:
    service.publish(FAILING)
    service.settled_run(order("dashboard"), "failed")
    sign_in(page, service, service.key)

    page.get_by_role("link", name="Dashboard").click()

    expect(page.get_by_role("img", name="Runs by status")).to_be_visible()
    expect(page.locator("rect[data-status='failed']").first).to_be_visible()
    row = page.locator(f"tr[data-workflow='{FAILING['workflow_id']}']")
    expect(row).to_be_visible()
    row.get_by_role("link", name="Failed runs").click()
    expect(page).to_have_url(
        f"{service.base}/studio/runs?workflow_id={FAILING['workflow_id']}&status=failed"
    )
    expect(page.locator("tr[data-run][data-status='failed']").first).to_be_visible()


def test_the_workflow_list_links_its_failed_runs(page: Page, service: Service) -> None:
    service.publish(FAILING)
    service.settled_run(order("list"), "failed")
    sign_in(page, service, service.key)

    counts = page.locator(f"tr[data-workflow='{FAILING['workflow_id']}'] .run-counts")
    expect(counts).to_contain_text("failed")
    counts.get_by_role("link", name="failed").click()
    expect(page).to_have_url(
        f"{service.base}/studio/runs?workflow_id={FAILING['workflow_id']}&status=failed"
    )


DELAYED = {
    "workflow_id": "browser_delayed_note",
    "name": "Browser delayed note",
    "trigger": {"type": "browser_note"},
    "actions": [{"id": "later", "type": "log", "delay": 3600, "data": {"message": "later"}}],
}


def test_the_workflow_list_links_its_runs_in_progress_however_they_wait(
    page: Page, service: Service
) -> None:
    service.publish(DELAYED)
    run_id = service.settled_run({"type": "browser_note", "user": {"id": "u"}}, "waiting")
    sign_in(page, service, service.key)

    counts = page.locator(f"tr[data-workflow='{DELAYED['workflow_id']}'] .run-counts")
    # A waiting run is in progress, not "running": the link must lead to it.
    counts.get_by_role("link", name="1 in progress").click()
    expect(page).to_have_url(f"{service.base}/studio/runs?workflow_id={DELAYED['workflow_id']}")
    expect(page.locator(f"tr[data-run='{run_id}'][data-status='waiting']")).to_be_visible()


RETRIED: dict[str, Any] = {
    "workflow_id": "browser_dashboard_retried",
    "name": "Browser retried thanks",
    "trigger": {"type": "browser_dashboard_purchase"},
    "actions": [
        {
            "id": "thank",
            "type": "send_email",
            "template": "browser_dashboard_thanks",
            "data": {"recipient": "{{ user.email }}", "subject": "Thanks!"},
        }
    ],
}


def test_a_run_that_failed_and_was_retried_counts_among_the_failures(
    page: Page, service: Service
) -> None:
    """A run failed on a missing template, then retried to completion once it was made:
    the dashboard said no workflow had a failed run in the period."""
    service.publish(RETRIED)
    event = {"type": "browser_dashboard_purchase", "user": {"id": "u-d", "email": "d@example.com"}}
    run_id = service.settled_run(event, "failed")
    made = service.api(
        "POST", "/api/templates", json={"name": "browser_dashboard_thanks", "text": "Thanks."}
    )
    assert made.status_code == 201, made.text
    retried = service.api("POST", f"/api/runs/{run_id}/retry")
    assert retried.status_code == 200, retried.text
    service.settled(run_id, "completed")
    sign_in(page, service, service.key)

    page.get_by_role("link", name="Dashboard").click()

    row = page.locator(f"tr[data-workflow='{RETRIED['workflow_id']}']")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("100 % of 1")
