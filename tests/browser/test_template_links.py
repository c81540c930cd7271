"""A link to make a message template (`?new=NAME`, from a workflow's warning or a run's error)
opens the template when one of that name exists already, made since the link was shown:
before, it opened a blank new template of that name, whose save the API refused (409)."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in


def test_a_link_to_make_a_template_that_exists_opens_it(page: Page, service: Service) -> None:
    made = service.api(
        "POST",
        "/api/templates",
        json={"name": "browser_link_exists", "subject": "Hi", "text": "Made already."},
    )
    assert made.status_code == 201, made.text
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/templates?new=browser_link_exists")

    expect(page.get_by_text("A template named browser_link_exists exists already")).to_be_visible()
    expect(page.get_by_role("heading", name="browser_link_exists")).to_be_visible()
    expect(page.get_by_label("Plain text")).to_have_value("Made already.")
    expect(page.get_by_role("button", name="Save template")).to_be_visible()
