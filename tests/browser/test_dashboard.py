"""The dashboard in a real browser: the period's runs drawn by status, and the workflow that
fails most listed with a link to its failed runs."""

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
