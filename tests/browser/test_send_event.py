"""A real event sent from a workflow's Test tab, as a marketer would send one without curl:
the form is filled from the workflow's trigger, the event starts a run, and its link leads to
the run's page, where it completes. A viewer may dry-run but is offered no real send."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

GREETING: dict[str, Any] = {
    "workflow_id": "browser_send_greeting",
    "name": "Browser send greeting",
    "trigger": {"type": "browser_send_signup"},
    "actions": [{"id": "greet", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
}


def open_test_tab(page: Page, service: Service, key: str) -> None:
    sign_in(page, service, key)
    page.goto(f"{service.base}/studio/workflows/{GREETING['workflow_id']}")
    page.get_by_role("tab", name="Test", exact=True).click()


def test_an_editor_sends_a_real_event_and_follows_the_run_it_started(
    page: Page, service: Service
) -> None:
    service.publish(GREETING)
    open_test_tab(page, service, service.new_key("editor", "browser sender"))

    expect(page.get_by_label("Event type")).to_have_value("browser_send_signup")
    page.get_by_role("button", name="Send a real event").click()

    sent = page.get_by_role("status", name="Sent event")
    expect(sent).to_contain_text("1 run started")
    sent.get_by_role("link", name="Follow run").click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.get_by_role("link", name=str(GREETING["name"]))).to_be_visible()
    expect(page.locator("[data-step='greet']")).to_have_attribute("data-status", "completed")


def test_a_viewer_may_dry_run_but_is_offered_no_real_send(page: Page, service: Service) -> None:
    service.publish(GREETING)
    open_test_tab(page, service, service.new_key("viewer", "browser send viewer"))

    expect(page.get_by_role("button", name="Run a dry run")).to_be_visible()
    expect(page.get_by_role("button", name="Send a real event")).to_have_count(0)


DIGEST: dict[str, Any] = {
    "workflow_id": "browser_send_digest",
    "name": "Browser send digest",
    "trigger": {"type": "schedule", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
    "actions": [{"id": "digest", "type": "set", "data": {"for": "{{ user.id }}"}}],
}


def test_a_scheduled_workflow_is_run_now_from_its_test_tab(page: Page, service: Service) -> None:
    """No event starts a scheduled workflow: its Test tab runs it now instead of sending an
    event of type run_now, which started nothing and said no workflow listens to it."""
    service.publish(DIGEST)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{DIGEST['workflow_id']}")
    page.get_by_role("tab", name="Test", exact=True).click()

    expect(page.get_by_role("button", name="Send a real event")).to_have_count(0)
    page.get_by_role("button", name="Run now").click()
    sent = page.get_by_role("status", name="Sent event")
    expect(sent).to_contain_text("1 run started")
    sent.get_by_role("link", name="Follow run").click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator("[data-step='digest']")).to_have_attribute("data-status", "completed")


LATER: dict[str, Any] = {
    "workflow_id": "browser_send_later",
    "name": "Browser send later",
    "trigger": {"type": "browser_send_later_signup"},
    "actions": [
        {"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}},
        {"id": "follow_up", "type": "set", "delay": "P3D", "data": {"followed": True}},
    ],
}


def test_a_test_run_skips_a_three_day_delay_when_asked(page: Page, service: Service) -> None:
    """A real test of a workflow with a 3-day delay waited 3 days: with Skip delays ticked,
    its Test tab runs it now and the step after the delay runs at once."""
    service.publish(LATER)
    sign_in(page, service, service.new_key("editor", "browser test runner"))
    page.goto(f"{service.base}/studio/workflows/{LATER['workflow_id']}")
    page.get_by_role("tab", name="Test", exact=True).click()

    page.get_by_label("Skip delays").check()
    expect(page.get_by_role("button", name="Send a real event")).to_have_count(0)
    page.get_by_role("button", name="Run now, skipping delays").click()
    sent = page.get_by_role("status", name="Sent event")
    expect(sent).to_contain_text("1 run started")
    sent.get_by_role("link", name="Follow run").click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator("[data-step='follow_up']")).to_have_attribute("data-status", "completed")
