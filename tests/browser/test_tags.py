"""Workflow tags in the Studio's list: each workflow shows its tags; a tag narrows the list to
the workflows carrying it (`GET /api/workflows?tag=`), kept in the address."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in


def tagged(workflow_id: str, tags: list[str]) -> dict[str, object]:
    return {
        "workflow_id": workflow_id,
        "name": workflow_id.replace("_", " ").title(),
        "tags": tags,
        "trigger": {"type": "user_signup"},
        "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
    }


def test_a_tag_narrows_the_list_to_the_workflows_carrying_it(page: Page, service: Service) -> None:
    for workflow_id, tags in (("tagged_growth", ["growth", "apac"]), ("tagged_ops", ["ops"])):
        created = service.api("POST", "/api/workflows", json=tagged(workflow_id, tags))
        assert created.status_code == 201, created.text
    sign_in(page, service, service.key)

    growth = page.locator("tr[data-workflow='tagged_growth']")
    expect(growth.locator(".badge.tag")).to_have_text(["growth", "apac"])
    growth.get_by_role("link", name="apac").click()
    expect(page).to_have_url(re.compile(r"/studio/?\?tag=apac$"))
    page.reload()  # the address keeps the tag
    expect(page.locator("tr[data-workflow]")).to_have_count(1)
    expect(page.locator("tr[data-workflow='tagged_growth']")).to_be_visible()

    page.get_by_role("button", name="Show every tag").click()
    expect(page.locator("tr[data-workflow='tagged_ops']")).to_be_visible()
    expect(page.locator("tr[data-workflow='tagged_growth']")).to_be_visible()
