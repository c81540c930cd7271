"""Cancel, which no command undoes, asks before it ends a run: one stray click on the red
button next to Pause and Retry ended a customer's journey for good. Skip step asks the same
way; each question's buttons say what they do ("Don't skip" / "Skip the step")."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

TOMORROW: dict[str, Any] = {
    "workflow_id": "browser_cancel_asks",
    "name": "Browser cancel asks",
    "trigger": {"type": "browser_cancel_signup"},
    "actions": [{"id": "later", "type": "log", "delay": "P1D", "data": {"message": "hi"}}],
}


def test_cancel_asks_first_and_keeping_the_run_leaves_it_waiting(
    page: Page, service: Service
) -> None:
    service.publish(TOMORROW)
    run_id = service.settled_run({"type": "browser_cancel_signup", "user": {"id": "u"}}, "waiting")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")
    run = page.locator(".run-page")

    page.get_by_role("button", name="Cancel", exact=True).click()
    ask = page.get_by_role("alertdialog", name="Cancel this run?")
    expect(ask).to_contain_text("cannot be resumed or retried")
    # A stray Enter keeps the run (focus starts on "Don't cancel"), and so does Escape.
    expect(ask.get_by_role("button", name="Don't cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(ask).to_have_count(0)
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.keyboard.press("Escape")
    expect(ask).to_have_count(0)
    skip = page.get_by_role("alertdialog", name="Skip this step?")
    page.get_by_role("button", name="Skip step").click()
    expect(skip.get_by_role("button", name="Skip the step")).to_be_visible()
    skip.get_by_role("button", name="Don't skip").click()
    expect(skip).to_have_count(0)
    expect(run).to_have_attribute("data-status", "waiting")
    assert service.api("GET", f"/api/runs/{run_id}").json()["status"] == "waiting"

    page.get_by_role("button", name="Cancel", exact=True).click()
    ask.get_by_role("button", name="Cancel the run").click()
    expect(run).to_have_attribute("data-status", "cancelled")


TWO_DAYS: dict[str, Any] = {
    "workflow_id": "browser_skip_moved_on",
    "name": "Browser skip moved on",
    "trigger": {"type": "browser_skip_signup"},
    "actions": [
        {"id": "first", "type": "log", "delay": "P1D"},
        {"id": "second", "type": "log", "delay": "P1D"},
    ],
}


def test_a_skip_chosen_before_the_run_moved_on_is_refused_and_says_so(
    page: Page, service: Service
) -> None:
    service.publish(TWO_DAYS)
    run_id = service.settled_run({"type": "browser_skip_signup", "user": {"id": "u"}}, "waiting")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")
    expect(page.locator("[data-current-step]")).to_have_attribute("data-current-step", "first")
    page.get_by_role("button", name="Skip step").click()
    skip = page.get_by_role("alertdialog", name="Skip this step?")
    expect(skip).to_be_visible()

    # While the question is open, someone else skips the first wait: the run moves on to
    # the second, and the page follows it.
    read = service.api("GET", f"/api/runs/{run_id}").json()
    moved = service.api("POST", f"/api/runs/{run_id}/skip?revision={read['revision']}")
    assert moved.status_code == 200, moved.text
    expect(page.locator("[data-current-step]")).to_have_attribute(
        "data-current-step", "second", timeout=15000
    )
    expect(page.locator(".run-page")).to_have_attribute("data-status", "waiting")

    # The skip chosen on the first wait is refused, not applied to the second.
    skip.get_by_role("button", name="Skip the step").click()
    refused = page.get_by_role("alert").filter(has_text="Skip step was refused.")
    expect(refused).to_contain_text("The run moved on since you chose skip")
    now = service.api("GET", f"/api/runs/{run_id}").json()
    assert (now["status"], now["current_step"]["id"]) == ("waiting", "second")
