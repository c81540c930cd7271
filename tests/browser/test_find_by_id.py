"""A run or event id from a customer's ticket or a log line opens its page from the Runs
page: the lists filter by workflow, status, user and time but never by id, so a person
holding one had to page through them or edit the address."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in


def test_a_pasted_run_id_and_event_id_open_their_pages(
    page: Page, service: Service, workflow: dict[str, object]
) -> None:
    sent = service.api("POST", "/api/events", json={"type": "user_signup", "user": {"id": "t"}})
    event_id, run_id = sent.json()["event_id"], sent.json()["run_ids"][0]
    sign_in(page, service, service.key)
    find = page.get_by_role("search", name="Open a run or event by its id")

    page.goto(service.base + "/studio/runs")
    find.get_by_label("Run or event id").fill(f" {run_id} ")
    find.get_by_label("Run or event id").press("Enter")
    expect(page.locator(".run-page")).to_have_attribute("data-run", run_id)

    page.goto(service.base + "/studio/runs")
    find.get_by_label("Run or event id").fill(event_id)
    find.get_by_role("button", name="Open").click()
    shown = page.get_by_role("complementary", name="Event")
    expect(shown).to_contain_text(event_id)
    # The run is named by its workflow's name, its id beside it.
    expect(shown.get_by_role("link", name=str(workflow["name"]))).to_have_attribute(
        "href", f"/studio/runs/{run_id}"
    )
    expect(shown).to_contain_text(str(workflow["workflow_id"]))
