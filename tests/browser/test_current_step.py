"""A run's page names the step it is at as the workflow's author built it (its name, id and
kind of step), not its position in the compiled program."""

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

CHECKOUT: dict[str, Any] = {
    "workflow_id": "browser_current_step",
    "name": "Browser current step",
    "trigger": {"type": "browser_current_checkout"},
    "actions": [
        {
            "id": "vip",
            "type": "condition",
            "conditions": [{"field": "total", "operator": "greater_than", "value": 100}],
            "then": [{"id": "mark_vip", "type": "set", "data": {"vip": True}}],
            "else": [],
        },
        {
            "id": "wait_pay",
            "type": "wait_for_event",
            "name": "Wait for payment",
            "data": {"event": "browser_current_paid", "timeout": "P1D"},
            "on_event": [{"id": "thanks", "type": "log", "data": {"message": "paid"}}],
        },
    ],
}


def test_a_waiting_runs_current_step_is_the_step_as_built(page: Page, service: Service) -> None:
    service.publish(CHECKOUT)
    event = {"type": "browser_current_checkout", "user": {"id": "shopper"}, "data": {"total": 120}}
    run_id = service.settled_run(event, "waiting")
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs/{run_id}")

    shown = page.locator("[data-current-step='wait_pay']")
    expect(shown).to_contain_text("Wait for payment wait_pay Wait for event, attempt 1")
    expect(page.locator("dl.facts")).not_to_contain_text("#")


DELAYED: dict[str, Any] = {
    "workflow_id": "browser_paused_delay",
    "name": "Browser paused delay",
    "trigger": {"type": "browser_paused_delay_signup"},
    "actions": [
        {"id": "first", "type": "log", "data": {"message": "signed up"}},
        {"id": "later", "type": "log", "delay": 3600, "data": {"message": "an hour on"}},
    ],
}


def test_a_run_paused_in_its_delay_says_what_the_delay_has_left(
    page: Page, service: Service
) -> None:
    """The page said "due" at the delay's end as it was before the pause; a resume waits
    what the delay had left instead, so that end moved on with every minute paused."""
    service.publish(DELAYED)
    event = {"type": "browser_paused_delay_signup", "user": {"id": "paused_in_delay"}}
    run_id = service.settled_run(event, "waiting")
    paused = service.api("POST", f"/api/runs/{run_id}/pause")
    assert paused.status_code == 200, paused.text
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs/{run_id}")

    shown = page.locator("[data-current-step='later']")
    said = re.compile(r"attempt 1 · .+ left of its delay, counted again on resume")
    expect(shown).to_have_text(said)
    expect(shown).not_to_contain_text("due")
