"""Approvals in a real browser: an editor finds the runs waiting for a decision from the runs
page, reads the step's message on the run, approves one with a comment (the run goes on down
its on_approve branch) and rejects another; a viewer reads an approval and cannot decide."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

REFUND: dict[str, Any] = {
    "workflow_id": "browser_refund",
    "name": "Browser refund",
    "trigger": {"type": "browser_refund_asked"},
    "actions": [
        {
            "id": "manager_ok",
            "type": "approval",
            "data": {"timeout": 3600, "message": "Refund {{ amount }} EUR to {{ user.id }}?"},
            "on_approve": [{"id": "refund", "type": "set", "data": {"refunded": True}}],
            "on_reject": [{"id": "keep", "type": "set", "data": {"refunded": False}}],
        }
    ],
}


def waiting_for_approval(service: Service, user_id: str) -> str:
    service.publish(REFUND)
    event = {"type": "browser_refund_asked", "user": {"id": user_id}, "data": {"amount": 50}}
    return service.settled_run(event, "waiting")


def test_an_editor_finds_runs_waiting_for_approval_and_decides_them(
    page: Page, service: Service
) -> None:
    approved, rejected = (
        waiting_for_approval(service, "alice"),
        waiting_for_approval(service, "bob"),
    )
    sign_in(page, service, service.new_key("editor", "approver"))

    page.get_by_role("link", name="Runs").click()
    page.get_by_role("link", name="Waiting runs and approvals").click()
    expect(page).to_have_url(f"{service.base}/studio/runs?status=waiting")
    for run_id in (approved, rejected):
        expect(page.locator(f"tr[data-run='{run_id}'] .awaits-approval")).to_be_visible()
    page.locator(f"tr[data-run='{approved}']").get_by_role("link", name="awaits approval").click()

    approval = page.get_by_role("region", name="Approval")
    expect(approval).to_contain_text("Refund 50 EUR to alice?")
    expect(approval.get_by_role("status")).to_contain_text("Waiting for a decision until")
    approval.get_by_label("Comment (optional)").fill("Receipt checked.")
    approval.get_by_role("button", name="Approve").click()
    expect(approval.get_by_role("status")).to_contain_text("Receipt checked.")
    expect(approval.get_by_role("status")).to_contain_text("Approved by key_")
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator("[data-variable='refunded']")).to_contain_text("true")

    page.goto(f"{service.base}/studio/runs/{rejected}")
    page.get_by_role("region", name="Approval").get_by_role("button", name="Reject").click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator("[data-variable='refunded']")).to_contain_text("false")
    expect(page.get_by_role("region", name="Approval")).to_contain_text("Rejected by key_")


def test_a_viewer_reads_an_approval_but_cannot_decide(page: Page, service: Service) -> None:
    run_id = waiting_for_approval(service, "carol")
    sign_in(page, service, service.new_key("viewer", "approval viewer"))

    page.goto(f"{service.base}/studio/runs/{run_id}")

    approval = page.get_by_role("region", name="Approval")
    expect(approval).to_contain_text("Refund 50 EUR to carol?")
    expect(approval.get_by_role("button")).to_have_count(0)
