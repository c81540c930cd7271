"""A workflow's own settings in the editor, in a real browser: an editor tags a workflow and
picks its error workflow beside its trigger, publishes, and the published version holds both."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in


def workflow(workflow_id: str) -> dict[str, object]:
    return {
        "workflow_id": workflow_id,
        "name": workflow_id,
        "trigger": {"type": f"{workflow_id}_event"},
        "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
    }


def test_an_editor_tags_a_workflow_and_picks_its_error_workflow(
    page: Page, service: Service
) -> None:
    for workflow_id in ("settings_on_call", "settings_checkout"):
        created = service.api("POST", "/api/workflows", json=workflow(workflow_id))
        assert created.status_code == 201, created.text
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/settings_checkout")

    page.locator("[data-node='trigger']").click()
    page.get_by_label("Tags").press_sequentially("billing, emea")
    expect(page.get_by_label("Tags")).to_have_value("billing, emea")
    page.get_by_label("Error workflow").select_option("settings_on_call")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published version 2")).to_be_visible()

    document = service.api("GET", "/api/workflows/settings_checkout").json()["document"]
    assert document["tags"] == ["billing", "emea"]
    assert document["settings"]["on_failure"] == {"workflow_id": "settings_on_call"}
