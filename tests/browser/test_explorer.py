"""The Execution Explorer in a real browser: a run is found in the list (one filter bar as the
filters change), a failed run is red and its failed step shows the connector's error, Retry
runs it again, and event data holding markup shows as text."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

MISSING = "browser_missing_template"
FAILING: dict[str, Any] = {
    "workflow_id": "browser_failing_email",
    "name": "Browser failing email",
    "trigger": {"type": "browser_order"},
    "actions": [
        {"id": "mark", "type": "set", "data": {"stage": "ordered"}},
        {
            "id": "mail",
            "type": "send_email",
            "template": MISSING,
            "data": {"recipient": "{{ user.email }}"},
        },
    ],
}


def order(user_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    user = {"id": user_id, "email": f"{user_id}@example.com"}
    return {"type": "browser_order", "user": user, "data": data or {}}


def test_a_run_is_found_in_the_explorer_by_its_user(page: Page, service: Service) -> None:
    service.publish(FAILING)
    run_id = service.settled_run(order("finder"), "failed")
    service.settled_run(order("someone_else"), "failed")
    sign_in(page, service, service.key)

    page.get_by_role("link", name="Runs").click()
    page.get_by_label("User id").fill("finder")
    page.get_by_label("User id").press("Enter")

    rows = page.locator("tr[data-run]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-run", run_id)
    expect(page).to_have_url(f"{service.base}/studio/runs?user_id=finder")


def test_the_filter_bar_stays_one_as_filters_change(page: Page, service: Service) -> None:
    """Each change of filter added another bar of them under the first: the filters and the
    bulk control, re-made for each address, were given one key between them."""
    sign_in(page, service, service.key)
    page.get_by_role("link", name="Runs").click()
    page.get_by_role("link", name="Waiting runs and approvals").click()
    expect(page).to_have_url(f"{service.base}/studio/runs?status=waiting")
    page.get_by_label("Status").select_option("failed")
    expect(page).to_have_url(f"{service.base}/studio/runs?status=failed")
    expect(page.get_by_role("form", name="Filter runs")).to_have_count(1)
    expect(page.get_by_label("Status")).to_have_value("failed")


# The retry test creates its template: a workflow of its own, so the other tests' sends
# still fail on theirs.
RETRIED_TEMPLATE = "browser_retried_template"
RETRIED: dict[str, Any] = FAILING | {
    "workflow_id": "browser_retried_email",
    "name": "Browser retried email",
    "trigger": {"type": "browser_retried_order"},
    "actions": [
        FAILING["actions"][0],
        FAILING["actions"][1] | {"template": RETRIED_TEMPLATE},
    ],
}


def test_a_failed_run_is_red_shows_the_connectors_error_and_retry_runs_it_again(
    page: Page, service: Service
) -> None:
    service.publish(RETRIED)
    service.api("DELETE", f"/api/templates/{RETRIED_TEMPLATE}")
    event = order("retrier") | {"type": "browser_retried_order"}
    run_id = service.settled_run(event, "failed")
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs?user_id=retrier")
    badge = page.locator(f"tr[data-run='{run_id}'] .badge.status")
    expect(badge).to_have_text("failed")
    expect(badge).to_have_css("color", "rgb(198, 40, 40)")
    page.get_by_role("link", name=run_id).click()

    mail = page.locator("[data-step='mail']")
    expect(mail.get_by_label("Error of step mail")).to_contain_text(
        f"message template '{RETRIED_TEMPLATE}' was not found. Create it under Governance"
    )
    expect(page.locator("[data-step='mark']")).to_have_attribute("data-status", "completed")
    expect(page.locator("[data-current-step='mail']")).to_contain_text("mail Send email")
    expect(page.get_by_text("Stopped at")).to_be_visible()
    expect(page.get_by_role("button", name="Resume")).to_be_disabled()

    # The fix the error asks for; the retried step now sends the email (to the dev outbox,
    # as under `make run`) and the run completes.
    template = {"name": RETRIED_TEMPLATE, "subject": "Thanks", "text": "Your order is in."}
    assert service.api("POST", "/api/templates", json=template).status_code == 201
    page.get_by_role("button", name="Retry").click()

    expect(page.get_by_role("status")).to_contain_text("Retry: the run is now")
    expect(mail).to_have_count(2, timeout=30_000)
    expect(mail.nth(1)).to_have_attribute("data-status", "completed")
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator(".history")).to_contain_text("retried")


def test_event_data_holding_markup_shows_as_text(page: Page, service: Service) -> None:
    service.publish(FAILING)
    markup = "<script>window.pwned = 1</script><b>bold</b>"
    run_id = service.settled_run(order("markup", {"note": markup}), "failed")
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs/{run_id}")

    expect(page.get_by_label("Event data")).to_contain_text(markup)
    expect(page.locator(".run-page b")).to_have_count(0)
    assert page.evaluate("window.pwned") is None


def test_a_viewer_sees_a_run_but_no_run_control(page: Page, service: Service) -> None:
    service.publish(FAILING)
    run_id = service.settled_run(order("viewed"), "failed")
    sign_in(page, service, service.new_key("viewer", "explorer viewer"))

    page.goto(f"{service.base}/studio/runs/{run_id}")

    expect(page.get_by_label("Error of step mail")).to_be_visible()
    for name in ("Pause", "Resume", "Cancel", "Retry", "Skip step"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)


# The seed's onboarding as its shape: four steps, three of them after a delay.
ONBOARDING: dict[str, Any] = {
    "workflow_id": "browser_path_onboarding",
    "name": "Browser path onboarding",
    "trigger": {"type": "browser_path_signup"},
    "actions": [
        {"id": "welcome", "type": "log", "data": {"message": "welcome"}},
        {"id": "push", "type": "log", "delay": 300, "data": {"message": "push"}},
        {"id": "started", "type": "log", "delay": 3600, "data": {"message": "started"}},
        {"id": "showcase", "type": "log", "delay": 86400, "data": {"message": "showcase"}},
    ],
}


def test_the_path_taken_draws_a_five_node_workflow_big_enough_to_read(
    page: Page, service: Service
) -> None:
    """The box was 360 px tall whatever the workflow: the seed's onboarding was drawn at less
    than half size, its nodes' text about 5 px high."""
    service.publish(ONBOARDING)
    run_id = service.settled_run({"type": "browser_path_signup", "user": {"id": "path"}}, "waiting")
    sign_in(page, service, service.key)

    page.goto(f"{service.base}/studio/runs/{run_id}")
    node = page.locator(".run-path .react-flow__node[data-id='welcome']")
    expect(node).to_contain_text("completed")
    # Drawn 220 px wide at full size: at least two thirds of that once the fit is done.
    page.wait_for_function(
        "() => document.querySelector(\".run-path .react-flow__node[data-id='welcome']\")"
        ".getBoundingClientRect().width >= 147"
    )

    # As tall as it now is, the box must not stop the page's scrolling: the wheel over it
    # scrolled nothing (it zoomed the drawing).
    canvas = page.locator(".run-path")
    canvas.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    box = canvas.bounding_box()
    assert box is not None
    # A point of the drawing within the window (the box may be taller than the window).
    page.mouse.move(box["x"] + 100, max(box["y"], 0) + 100)
    page.mouse.wheel(0, 300)
    page.wait_for_function(f"() => window.scrollY > {before}")
