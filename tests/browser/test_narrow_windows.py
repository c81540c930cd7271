"""The Studio in a narrow window (half a laptop screen, a tablet, a phone): the page is never
wider than the window, so Sign out and the editor's inspector stay in reach, and the canvas
keeps room to be read. Before, the header's one row of links made every page 850 px wide
and the editor squeezed its canvas to 180 px between the palette and the inspector."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

WIDER_THAN_THE_WINDOW = (
    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
)


def test_a_phone_wide_window_shows_every_page_without_sideways_scrolling(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, service, service.key)
    for path in ("/studio/", "/studio/runs", f"/studio/workflows/{workflow['workflow_id']}"):
        page.goto(service.base + path)
        expect(page.locator("h1").first).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
        assert page.evaluate(WIDER_THAN_THE_WINDOW) == 0, path


def test_a_tablet_wide_editor_keeps_the_canvas_wide_and_the_inspector_below_it(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    page.set_viewport_size({"width": 768, "height": 900})
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{workflow['workflow_id']}")

    canvas = page.get_by_test_id("canvas").bounding_box()
    inspector = page.locator(".inspector-pane").bounding_box()
    assert canvas is not None
    assert inspector is not None
    assert canvas["width"] >= 500
    assert inspector["y"] >= canvas["y"] + canvas["height"]
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == 0


def test_a_node_opened_in_a_narrow_window_brings_the_inspector_below_into_view(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    page.set_viewport_size({"width": 768, "height": 600})
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{workflow['workflow_id']}")
    inspector = page.locator(".inspector-pane")
    expect(inspector).not_to_be_in_viewport()

    page.locator("[data-node='hello']").click()
    expect(inspector.get_by_label("Name", exact=True)).to_be_in_viewport()


def test_a_phone_wide_list_scrolls_its_table_in_a_box_and_keeps_it_a_table(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    """The table itself was made `display: block` to scroll, which takes its table semantics
    away in some screen readers; its box scrolls instead."""
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, service, service.key)
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Workflow")).to_be_visible()
    expect(table.get_by_role("cell", name=str(workflow["name"]))).to_be_visible()
    assert table.evaluate("(t) => getComputedStyle(t).display") == "table"
    box = page.locator(".table-scroll")
    assert box.evaluate("(b) => b.scrollWidth > b.clientWidth"), "the table fits: nothing to scroll"
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == 0


def test_a_phone_wide_lists_table_box_is_named_takes_the_focus_and_scrolls_by_keyboard(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    """The box scrolled for the mouse only: with no tab stop and no name, a keyboard user
    could not bring the table's right-hand columns into view (axe's
    scrollable-region-focusable rule)."""
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, service, service.key)
    box = page.get_by_role("region", name="Workflows", exact=True)
    expect(box.get_by_role("cell", name=str(workflow["name"]))).to_be_visible()

    page.get_by_label("Show archived").focus()
    page.keyboard.press("Tab")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(box) => box.scrollLeft > 0", arg=box.element_handle())


def test_a_table_box_that_fits_its_window_is_no_tab_stop(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, service, service.key)
    box = page.get_by_role("region", name="Workflows", exact=True)
    expect(box.get_by_role("cell", name=str(workflow["name"]))).to_be_visible()

    page.get_by_label("Show archived").focus()
    page.keyboard.press("Tab")
    expect(box).not_to_be_focused()
    expect(box.get_by_role("link").first).to_be_focused()


def test_a_phone_wide_alerts_page_scrolls_its_rules_table_in_a_named_box(
    page: Page, service: Service
) -> None:
    """The alert rules' table was the one left outside a scrolling box: a rule sending to a
    webhook made the whole page wider than the window. The rule never alerts (no workflow
    here ends that many runs) and goes with the test: the service is shared, and an alert
    would land in the outbox other tests read, and call its webhook."""
    rule = {
        "rule_id": "narrow-window-rule",
        "workflow_id": None,
        "min_runs": 100_000,
        "email": ["operations-on-call@example.com"],
        "webhook_url": "http://127.0.0.1:9/automator-alerts/on-call/failing-runs",
    }
    saved = service.api("PUT", "/api/tenant/alerts", json={"rules": [rule]})
    assert saved.status_code == 200, saved.text
    try:
        page.set_viewport_size({"width": 400, "height": 800})
        sign_in(page, service, service.key)
        page.goto(f"{service.base}/studio/governance/alerts")

        box = page.get_by_role("region", name="Alert rules", exact=True)
        expect(box.get_by_role("cell", name="narrow-window-rule")).to_be_visible()
        fits = "the table fits: nothing to scroll"
        assert box.evaluate("(b) => b.scrollWidth > b.clientWidth"), fits
        assert page.evaluate(WIDER_THAN_THE_WINDOW) == 0
    finally:
        service.api("DELETE", "/api/tenant/alerts")


LONG_TEXT = "Thank you for signing up: here is the code for your first order, " * 3
# A value with no space to break a line at, as a link is.
LONG_LINK = "https://shop.example.com/welcome?code=WELCOME10&utm_source=automator&utm_medium=email"
LONG_VALUES: dict[str, object] = {
    "workflow_id": "browser_narrow_values",
    "name": "Narrow values",
    "trigger": {"type": "browser_narrow_values_signup"},
    "actions": [
        {"id": "note", "type": "set", "data": {"greeting": LONG_TEXT, "link": LONG_LINK}},
        {
            "id": "hold",
            "type": "wait_for_event",
            "data": {"event": "browser_narrow_values_paid", "timeout": 3600},
        },
    ],
}


def scrolls_in_its_box(page: Page, name: str) -> None:
    """The region ``name`` holds a table wider than itself, and the page is not wider than
    the window."""
    box = page.get_by_role("region", name=name, exact=True)
    expect(box.get_by_role("table")).to_be_visible()
    assert box.evaluate("(b) => b.scrollWidth > b.clientWidth"), "the table fits: nothing to scroll"
    assert page.evaluate(WIDER_THAN_THE_WINDOW) == 0


def test_a_phone_wide_runs_variables_scroll_in_their_box(page: Page, service: Service) -> None:
    """A variable holding a link made the run's page wider than the window: its table was
    outside a scrolling box."""
    service.publish(LONG_VALUES)
    event = {"type": "browser_narrow_values_signup", "user": {"id": "narrow_values"}}
    run_id = service.settled_run(event, "waiting")
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")
    expect(page.locator("[data-variable='link']")).to_be_visible()
    scrolls_in_its_box(page, "Names and values")


def test_a_phone_wide_version_diff_scrolls_in_its_box(page: Page, service: Service) -> None:
    """Two versions' long lines side by side made the editor's page wider than the window."""
    first = LONG_VALUES | {
        "workflow_id": "browser_narrow_diff",
        "trigger": {"type": "browser_narrow_diff_signup"},
    }
    service.publish(first)
    service.publish(first | {"name": "Narrow values, renamed"})
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/browser_narrow_diff")
    page.get_by_role("tab", name="Versions").click()
    page.get_by_label("Compare version 1", exact=True).check()
    page.get_by_label("Compare version 2", exact=True).check()
    expect(page.get_by_text("1 changed line")).to_be_visible()
    scrolls_in_its_box(page, "Lines of both versions")
