"""A run waiting out a failed step's backoff offers "Retry now", and sending a run command
keeps the keyboard's focus on the control: while the command is in flight the controls are
greyed (aria-disabled), not disabled, which would drop the focus to the page."""

import re

from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer

from tests.browser.conftest import Service, sign_in


def test_retry_now_on_a_run_waiting_to_retry_keeps_the_focus_on_its_control(
    page: Page, service: Service, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/browser-retry-now").respond_with_data("down", status=500)
    service.publish(
        {
            "workflow_id": "browser_retry_now",
            "name": "Browser retry now",
            "trigger": {"type": "browser_retry_now_order"},
            "actions": [
                {
                    "id": "hook",
                    "type": "webhook_call",
                    "data": {"url": httpserver.url_for("/browser-retry-now"), "json": {}},
                    "retry": {"max_attempts": 3, "backoff": 3600},
                }
            ],
        }
    )
    event = {"type": "browser_retry_now_order", "user": {"id": "retry-now"}}
    run_id = service.settled_run(event, "waiting")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    controls = page.get_by_role("group", name="Run control")
    retry_now = controls.get_by_role("button", name="Retry now")
    expect(retry_now).not_to_have_attribute("aria-disabled", "true")
    expect(controls.get_by_role("button", name="Resume")).to_have_attribute("aria-disabled", "true")
    retry_now.focus()
    retry_now.press("Enter")
    # The words follow the run: pending at the answer, waiting again once the attempt brought
    # forward failed too (not "pending" for good).
    expect(page.get_by_text("Retry: the run is now waiting")).to_be_visible()
    # The same control still has the focus (its label "Retry now" again once the attempt
    # brought forward failed too): the keyboard user goes on from where they were.
    expect(controls.locator("button:focus")).to_have_text(re.compile(r"^Retry( now)?$"))
