"""Four-eyes publishing in the Studio: the editor who publishes sees the version waiting for
approval and cannot approve it; another editor approves it from the editor page and it
becomes the active version."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, Service, sign_in

WORKFLOW = {
    "workflow_id": "browser_four_eyes",
    "name": "Browser four eyes",
    "trigger": {"type": "user_signup"},
    "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
}


@pytest.fixture
def four_eyes(service: Service) -> Iterator[None]:
    """The default tenant under four-eyes publishing for one test (the service is shared)."""
    created = service.api("POST", "/api/workflows", json=WORKFLOW)
    assert created.status_code == 201, created.text
    assert service.api("PUT", "/api/tenant/settings", {"four_eyes_publishing": True}).is_success
    try:
        yield
    finally:
        service.api("PUT", "/api/tenant/settings", {"four_eyes_publishing": False})


def test_a_published_version_waits_for_another_editor_who_approves_it(
    page: Page, browser: Browser, service: Service, four_eyes: None
) -> None:
    editor_page = service.base + f"/studio/workflows/{WORKFLOW['workflow_id']}"
    sign_in(page, service, service.new_key("editor", "alice"))
    page.goto(editor_page)
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Version 2 is waiting for approval by another key").wait_for()
    waiting = page.get_by_role("region", name="Waiting for approval")
    expect(waiting).to_contain_text("published by you")
    expect(waiting.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(waiting.get_by_role("button", name="Approve v2")).to_have_count(0)
    assert (
        service.api("GET", f"/api/workflows/{WORKFLOW['workflow_id']}").json()["active_version"]
        == 1
    )

    other = browser.new_context()
    other.set_default_timeout(TIMEOUT_MS)
    try:
        bob = other.new_page()
        sign_in(bob, service, service.new_key("editor", "bob"))
        row = bob.locator(f"tr[data-workflow='{WORKFLOW['workflow_id']}']")
        expect(row).to_contain_text("v2 waiting for approval")
        bob.goto(editor_page)
        bob.get_by_role("tab", name="Versions").click()
        expect(bob.locator("tr[data-version='2']")).to_contain_text("waiting for approval")
        bob.get_by_role("button", name="Approve v2").click()
        bob.get_by_text("Approved version 2: it is active").wait_for()
        expect(bob.get_by_role("region", name="Waiting for approval")).to_have_count(0)
        expect(bob.locator("tr[data-version='2']")).to_contain_text("active")
    finally:
        other.close()
    workflow = service.api("GET", f"/api/workflows/{WORKFLOW['workflow_id']}").json()
    assert (workflow["active_version"], workflow["pending_approval"]) == (2, None)
