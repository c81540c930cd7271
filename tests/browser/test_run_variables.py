"""A run's variables in a real browser: an editor sets one (as JSON, bare text refused before
it is sent) and removes another on a waiting run, skips the wait and sees the run use the
value; on the ended run Set and Remove are greyed, saying why; a viewer reads the variables
only."""

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Service, sign_in

OFFER: dict[str, Any] = {
    "workflow_id": "browser_vars_offer",
    "name": "Browser vars offer",
    "trigger": {"type": "browser_vars_signup"},
    "actions": [
        {"id": "mark", "type": "set", "data": {"stage": "signed_up"}},
        {
            "id": "hold",
            "type": "wait_for_event",
            "data": {"event": "browser_vars_paid", "timeout": 3600},
        },
        {
            "id": "offer",
            "type": "set",
            "data": {"message": "Use {{ vars.code | default('nothing') }}"},
        },
    ],
}


def variables_as(page: Page, service: Service, role: str) -> tuple[str, Locator]:
    """A new run waiting for its payment, opened with a key of ``role``: its id and its
    Variables region, once that shows the variable the run set."""
    service.publish(OFFER)
    event = {"type": "browser_vars_signup", "user": {"id": f"vars_{role}"}}
    run_id = service.settled_run(event, "waiting")
    sign_in(page, service, service.new_key(role, f"vars {role}"))
    page.goto(f"{service.base}/studio/runs/{run_id}")
    variables = page.get_by_role("region", name="Variables")
    expect(variables.locator("[data-variable='stage']")).to_contain_text('"signed_up"')
    return run_id, variables


def test_an_editor_sets_a_variable_on_a_waiting_run_and_the_run_goes_on_with_it(
    page: Page, service: Service
) -> None:
    run_id, variables = variables_as(page, service, "editor")

    form = variables.get_by_role("form", name="Set a variable")
    form.get_by_label("Name").fill("code")
    form.get_by_label("Value (JSON)").fill("WELCOME10")
    form.get_by_role("button", name="Set").click()
    expect(form.get_by_role("alert")).to_have_text(
        'This is not JSON: put text in double quotes, e.g. "WELCOME10".'
    )
    form.get_by_label("Value (JSON)").fill('"WELCOME10"')
    form.get_by_role("button", name="Set").click()
    expect(variables.locator("[data-variable='code']")).to_contain_text('"WELCOME10"')
    variables.get_by_role("button", name="Remove stage").click()
    expect(variables.locator("[data-variable='stage']")).to_have_count(0)

    page.get_by_role("button", name="Skip step").click()  # nothing undoes a skip: it asks
    page.get_by_role("alertdialog", name="Skip this step?").get_by_role(
        "button", name="Skip the step"
    ).click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(variables.locator("[data-variable='message']")).to_contain_text('"Use WELCOME10"')

    # On the ended run Set and Remove are greyed, saying why, and send nothing.
    form.get_by_label("Name").fill("code")
    form.get_by_label("Value (JSON)").fill('"LATE"')
    why = "Variables change while a run is paused or waiting; this run is completed."
    for button in (
        form.get_by_role("button", name="Set"),
        variables.get_by_role("button", name="Remove code"),
    ):
        expect(button).to_have_attribute("aria-disabled", "true")
        expect(button).to_have_accessible_description(why)
        button.press("Enter")  # greyed: nothing is sent
    expect(variables.get_by_role("alert")).to_have_count(0)
    expect(variables.locator("[data-variable='code']")).to_contain_text('"WELCOME10"')
    assert service.api("GET", f"/api/runs/{run_id}").json()["vars"]["code"] == "WELCOME10"


def test_a_viewer_reads_a_runs_variables_but_cannot_change_them(
    page: Page, service: Service
) -> None:
    _, variables = variables_as(page, service, "viewer")

    expect(variables.get_by_role("form", name="Set a variable")).to_have_count(0)
    expect(variables.get_by_role("button")).to_have_count(0)
