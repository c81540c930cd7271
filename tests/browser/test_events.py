"""The event log in a real browser: an event sent through the API is found by its type with
its run and why another workflow skipped it, and Replay starts a new run, which its answer
links to."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

GREET: dict[str, Any] = {
    "workflow_id": "browser_event_greet",
    "name": "Browser event greet",
    "trigger": {"type": "browser_event_signup"},
    "actions": [{"id": "hello", "type": "set", "data": {"greeted": "{{ user.id }}"}}],
}
PICKY: dict[str, Any] = GREET | {
    "workflow_id": "browser_event_picky",
    "name": "Browser event picky",
    "trigger": {
        "type": "browser_event_signup",
        "conditions": [{"field": "plan", "operator": "equals", "value": "vip"}],
    },
}


def test_an_event_is_found_by_type_with_its_run_and_replay_starts_another(
    page: Page, service: Service
) -> None:
    service.publish(GREET)
    service.publish(PICKY)
    event = {"type": "browser_event_signup", "user": {"id": "logged"}, "data": {"plan": "free"}}
    run_id = service.settled_run(event, "completed")
    sign_in(page, service, service.key)

    page.get_by_role("link", name="Events").click()
    page.get_by_label("Event type").fill("browser_event_signup")
    page.get_by_label("Event type").press("Enter")
    expect(page).to_have_url(f"{service.base}/studio/events?type=browser_event_signup")
    row = page.locator("tr[data-event]").first
    expect(row.get_by_role("link", name=run_id)).to_be_visible()

    row.get_by_role("button").first.click()
    detail = page.get_by_role("complementary", name="Event")
    # Each workflow by its name, its id beside it.
    expect(detail.get_by_role("link", name="Browser event greet")).to_have_attribute(
        "href", f"/studio/runs/{run_id}"
    )
    expect(detail.locator("[data-skipped='browser_event_picky']")).to_contain_text(
        "Browser event picky browser_event_picky: trigger conditions not met"
    )
    detail.get_by_role("button", name="Replay").click()
    replayed = detail.get_by_role("status", name="Sent event")
    expect(replayed).to_contain_text("1 run started")
    expect(page.locator("tr[data-event]").first).to_contain_text("replays")
    # The replay's answer leads to the run it started (it named only a count).
    replayed.get_by_role("link", name="Follow run").click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator(".facts")).to_contain_text("browser_event_greet")


FIRST_PAGE = (
    "Newer goes back to the newer page before this one; this is the first page, the newest."
)
LAST_PAGE = "Older shows the next, older page; this is the last page: nothing is older."


def test_the_event_log_pages_older_and_back_newer(page: Page, service: Service) -> None:
    events = [{"type": "browser_event_paged", "data": {"n": n}} for n in range(51)]
    sent = service.api("POST", "/api/events/batch", json={"events": events})
    assert sent.status_code in (200, 202, 207), sent.text
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/events?type=browser_event_paged")

    rows = page.locator("tr[data-event]")
    expect(rows).to_have_count(50)
    newer = page.get_by_role("button", name="Newer")
    older = page.get_by_role("button", name="Older")
    # Greyed, not disabled: the focus stays on the pager at either end, and the button says
    # why it does nothing.
    expect(newer).to_have_attribute("aria-disabled", "true")
    expect(newer).to_have_accessible_description(FIRST_PAGE)
    expect(older).to_have_accessible_description("")
    older.click()
    expect(page.get_by_text("page 2")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(older).to_have_attribute("aria-disabled", "true")
    expect(older).to_have_accessible_description(LAST_PAGE)
    older.focus()
    older.press("Enter")
    expect(older).to_be_focused()
    expect(page.get_by_text("page 2")).to_be_visible()
    newer.click()
    expect(page.get_by_text("page 1")).to_be_visible()
    expect(rows).to_have_count(50)


def test_an_event_sent_while_the_log_is_open_appears_without_a_reload(
    page: Page, service: Service
) -> None:
    """Someone whose app sends events watches the log: each shows up by itself."""
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/events?type=browser_event_arrives")
    expect(page.get_by_text("No events match.")).to_be_visible()

    sent = service.api("POST", "/api/events", json={"type": "browser_event_arrives"})
    assert sent.status_code == 202, sent.text

    rows = page.locator("tr[data-event]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(sent.json()["event_id"])
