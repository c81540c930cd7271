"""Failure alerts in a real browser: an admin sets a rule as JSON and reads it back in
words, with a link to the failed runs it watches; a viewer reads it without the editor. An
error workflow's run says which failed run's on_failure started it."""

import json
import time

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

CHECKOUT = {
    "workflow_id": "browser_checkout",
    "name": "Checkout",
    "trigger": {"type": "order_placed"},
    "actions": [{"type": "log", "data": {"message": "hi"}}],
}
RULES = {
    "rules": [
        {
            "rule_id": "checkout-failing",
            "workflow_id": "browser_checkout",
            "window_minutes": 15,
            "threshold": 0.25,
            "min_runs": 10,
            "email": ["ops@example.com"],
        }
    ]
}


def test_an_admin_sets_an_alert_rule_and_a_viewer_reads_it(page: Page, service: Service) -> None:
    created = service.api("POST", "/api/workflows", json=CHECKOUT)
    assert created.status_code in (201, 409), created.text
    service.api("DELETE", "/api/tenant/alerts")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/alerts")

    expect(page.get_by_text("No alert rules")).to_be_visible()
    page.get_by_label("Alert rules (JSON)").fill(json.dumps(RULES))
    page.get_by_role("button", name="Save alert rules").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    row = page.locator("tr[data-rule='checkout-failing']")
    expect(row).to_contain_text(
        "Checkout (browser_checkout): 25 % or more of at least 10 ended runs failed in 15 min"
    )
    expect(row).to_contain_text("ops@example.com")
    assert service.api("GET", "/api/tenant/alerts").json()["rules"][0]["min_runs"] == 10

    bad = {"rules": [RULES["rules"][0] | {"workflow_id": "nowhere"}]}
    page.get_by_label("Alert rules (JSON)").fill(json.dumps(bad))
    page.get_by_role("button", name="Save alert rules").click()
    expect(
        page.get_by_text("Invalid alert rule: rules.0.workflow_id: no workflow 'nowhere'")
    ).to_be_visible()

    row.get_by_role("link", name="Failed runs").click()
    expect(page).to_have_url(
        f"{service.base}/studio/runs?workflow_id=browser_checkout&status=failed"
    )

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, service, service.new_key("viewer", "alerts viewer"))
    page.goto(f"{service.base}/studio/governance/alerts")
    expect(page.locator("tr[data-rule='checkout-failing']")).to_be_visible()
    expect(page.get_by_label("Alert rules (JSON)")).to_have_count(0)
    service.api("DELETE", "/api/tenant/alerts")


def test_an_error_workflows_run_says_which_failed_run_started_it(
    page: Page, service: Service
) -> None:
    handler = {
        "workflow_id": "browser_on_call",
        "name": "On call",
        "trigger": {"type": "browser_never_sent"},
        "actions": [{"id": "keep", "type": "set", "data": {"run": "{{ failure.run_id }}"}}],
    }
    failing = {
        "workflow_id": "browser_fails",
        "name": "Fails",
        "trigger": {"type": "browser_fail"},
        "actions": [{"id": "charge", "type": "log", "data": {"message": "{{ card.number }}"}}],
        "settings": {"on_failure": {"workflow_id": "browser_on_call"}},
    }
    for document in (handler, failing):
        saved = service.api("POST", "/api/workflows", json=document)
        assert saved.status_code in (201, 409), saved.text
    failed_id = service.settled_run({"type": "browser_fail"}, "failed")
    deadline = time.monotonic() + 30
    while not (handled := handler_runs(service, failed_id)):
        assert time.monotonic() < deadline, "the error workflow never started"
        time.sleep(0.2)

    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{handled[0]}")
    expect(page.get_by_text("Started by the on_failure of the failed run")).to_be_visible()
    page.get_by_role("link", name=failed_id).click()
    expect(page.get_by_text(f"on_failure: started run {handled[0]}")).to_be_visible()


def handler_runs(service: Service, failed_id: str) -> list[str]:
    listed = service.api("GET", "/api/runs?workflow_id=browser_on_call&limit=100").json()
    return [one["run_id"] for one in listed["items"] if one["parent"]["run_id"] == failed_id]
