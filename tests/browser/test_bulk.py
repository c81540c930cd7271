"""Bulk run control in a real browser: an editor retries every failed run of a workflow from
the explorer's filters (the count first, then the job's progress to done, and the runs
complete), a resume over runs that are not paused lists each refusal with its reason, and a
viewer is offered none of it."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer

from tests.browser.conftest import Service, sign_in

RUNS = 5


@pytest.fixture
def receiver() -> Iterator[HTTPServer]:
    """The webhook's receiver: it refuses (400, a final failure) until a test lets it accept."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/bulk").respond_with_data("not yet", status=400)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def flaky(receiver: HTTPServer) -> dict[str, Any]:
    return {
        "workflow_id": "browser_bulk_notify",
        "name": "Browser bulk notify",
        "trigger": {"type": "browser_bulk_order"},
        "actions": [
            {"id": "notify", "type": "webhook_call", "data": {"url": receiver.url_for("/bulk")}}
        ],
    }


def test_an_editor_retries_every_failed_run_of_a_workflow_and_sees_them_complete(
    page: Page, service: Service, receiver: HTTPServer
) -> None:
    service.publish(flaky(receiver))
    event = {"type": "browser_bulk_order", "user": {"id": "bulk"}}
    run_ids = [service.settled_run(event, "failed") for _ in range(RUNS)]
    receiver.clear_all_handlers()
    receiver.expect_request("/bulk").respond_with_data("ok")
    sign_in(page, service, service.new_key("editor", "bulk editor"))

    page.goto(f"{service.base}/studio/runs?workflow_id=browser_bulk_notify&status=failed")
    expect(page.locator("tr[data-run]")).to_have_count(RUNS)
    page.get_by_role("button", name="Retry all…").click()
    plan = page.get_by_role("status", name="Bulk plan")
    expect(plan).to_contain_text(f"This will retry {RUNS} runs.")
    plan.get_by_role("button", name=f"Retry {RUNS} runs").click()

    expect(page.locator(".bulk-progress")).to_have_attribute("data-state", "completed")
    expect(page.get_by_role("status", name="Bulk progress text")).to_have_text(
        f"Done. {RUNS} of {RUNS} runs handled: {RUNS} retried, 0 refused."
    )
    # The list refreshes by itself while the retried runs are live, until none is failed.
    expect(page.get_by_text("No runs match.")).to_be_visible(timeout=30_000)
    page.goto(f"{service.base}/studio/runs?workflow_id=browser_bulk_notify&status=completed")
    expect(page.locator("tr[data-run]")).to_have_count(RUNS)
    completed = {row.get_attribute("data-run") for row in page.locator("tr[data-run]").all()}
    assert completed == set(run_ids)


def test_a_resume_of_runs_that_are_not_paused_lists_each_refusal(
    page: Page, service: Service, receiver: HTTPServer
) -> None:
    service.publish(flaky(receiver))
    run_id = service.settled_run(
        {"type": "browser_bulk_order", "user": {"id": "refused"}}, "failed"
    )
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs?user_id=refused&status=failed")
    page.get_by_role("button", name="Resume all…").click()
    plan = page.get_by_role("status", name="Bulk plan")
    expect(plan).to_contain_text("This will resume 1 run.")
    expect(plan).to_contain_text(
        "Every run matched is failed: Resume works only on a run that is paused"
    )
    plan.get_by_role("button", name="Resume 1 run").click()

    expect(page.get_by_role("status", name="Bulk progress text")).to_have_text(
        "Done. 1 of 1 run handled: 0 resumed, 1 refused."
    )
    refusals = page.get_by_role("list", name="Refused runs")
    expect(refusals.get_by_role("link", name=run_id)).to_be_visible()
    expect(refusals).to_contain_text("it is failed")


def test_a_viewer_is_offered_no_bulk_control(page: Page, service: Service) -> None:
    sign_in(page, service, service.new_key("viewer", "bulk viewer"))

    page.goto(f"{service.base}/studio/runs")

    expect(page.get_by_role("heading", name="Runs")).to_be_visible()
    expect(page.get_by_role("group", name="Every run matching these filters")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry all…")).to_have_count(0)
