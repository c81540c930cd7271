"""A link to make a message template (`?new=NAME`, from a workflow's warning or a run's error)
opens the template when one of that name exists already, made since the link was shown:
before, it opened a blank new template of that name, whose save the API refused (409). Once
the template is made, the page leads back to the workflow, whose warning is gone."""

import re
from typing import Any

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


def test_create_template_is_greyed_with_its_reason_until_it_can_be_made(
    page: Page, service: Service
) -> None:
    """Create was `disabled` with no reason given (and out of the keyboard's reach)."""
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/templates")
    page.get_by_role("button", name="+ New template").click()

    create = page.get_by_role("button", name="Create template")
    expect(create).to_have_attribute("aria-disabled", "true")
    expect(create).to_have_accessible_description(
        "To create the template, name it, and fill in the plain text or the HTML"
        " (a template needs a body)."
    )
    page.get_by_label("Name", exact=True).fill("browser_greyed_reason")
    expect(create).to_have_accessible_description(
        "To create the template, fill in the plain text or the HTML (a template needs a body)."
    )
    page.get_by_label("Plain text").fill("Hello.")
    expect(create).not_to_have_attribute("aria-disabled", "true")
    create.click()
    expect(page.get_by_role("heading", name="browser_greyed_reason")).to_be_visible()


MISSING = "browser_link_made_now"
WELCOME: dict[str, Any] = {
    "workflow_id": "browser_link_welcome",
    "name": "Browser link welcome",
    "trigger": {"type": "browser_link_signup"},
    "actions": [{"id": "hello", "type": "send_email", "template": MISSING}],
}


def test_the_warning_of_a_missing_template_goes_once_it_is_made(
    page: Page, service: Service
) -> None:
    """The editor kept the API's first answer for a document as long as the page lived: back
    from making the template its warning linked to, the workflow still said it was missing."""
    service.publish(WELCOME)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{WELCOME['workflow_id']}")
    warnings = page.locator(".validation-warnings")
    expect(warnings).to_contain_text(f"message template '{MISSING}' was not found")

    warnings.get_by_role("link", name="Create it under Governance → Message templates").click()
    page.get_by_label("Subject").fill("Welcome")
    page.get_by_label("Plain text").fill("Glad you are here.")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("status")).to_have_text(f"Created {MISSING}.")

    page.go_back()
    expect(page.get_by_role("heading", name=WELCOME["name"])).to_be_visible()
    expect(warnings).to_have_count(0)


LEADS_BACK: dict[str, Any] = WELCOME | {
    "workflow_id": "browser_link_back",
    "name": "Browser link back",
    "actions": [WELCOME["actions"][0] | {"template": "browser_link_back_email"}],
}


def test_the_template_page_leads_back_to_the_workflow_that_needed_it(
    page: Page, service: Service
) -> None:
    """Once the template was made, the page offered no way back to the workflow whose warning
    linked to it: the next step was the browser's Back button, or finding it in the list."""
    service.publish(LEADS_BACK)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{LEADS_BACK['workflow_id']}")
    page.get_by_role("link", name="Create it under Governance → Message templates").click()
    page.get_by_label("Subject").fill("Hello")
    page.get_by_label("Plain text").fill("Hello again.")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("status")).to_have_text("Created browser_link_back_email.")

    page.get_by_role("link", name="← Back to the workflow").click()
    expect(page).to_have_url(f"{service.base}/studio/workflows/{LEADS_BACK['workflow_id']}")
    expect(page.get_by_role("heading", name=LEADS_BACK["name"])).to_be_visible()
    expect(page.locator(".validation-warnings")).to_have_count(0)


def test_a_preview_says_what_the_sample_data_lacks_once(page: Page, service: Service) -> None:
    """It said, twice over, that a template named 'preview' read what is "not in the event"."""
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/templates")
    page.get_by_role("button", name="+ New template").click()
    page.get_by_label("Subject").fill("Your cart, {{ cart.total }}")
    page.get_by_label("Plain text").fill("Come back.")

    problem = page.get_by_role("alert")
    expect(problem).to_have_text(re.compile(r"^subject: cart is not in the sample data; it has "))
    expect(problem.get_by_role("listitem")).to_have_count(0)


CART: dict[str, Any] = {
    "workflow_id": "browser_link_cart",
    "name": "Browser link cart",
    "trigger": {"type": "browser_link_cart_abandoned"},
    "actions": [
        {
            "id": "remind",
            "type": "send_email",
            "template": "browser_link_cart_reminder",
            "data": {
                "recipient": "{{user.email}}",
                "variables": {"cart_items": "{{cart.items}}", "cart_total": "{{cart.total}}"},
            },
        }
    ],
}


def test_a_template_made_from_a_steps_warning_previews_what_the_step_gives(
    page: Page, service: Service
) -> None:
    """The sample data was a signup's (user_name, signup_date) whatever step linked here: a
    cart template's preview said cart_items was not in the sample data."""
    service.publish(CART)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{CART['workflow_id']}")
    page.get_by_role("link", name="Create it under Governance → Message templates").click()
    page.get_by_label("Plain text").fill(
        "You left {{ cart_items | length }} items worth {{ cart_total }}."
    )

    preview = page.get_by_label("Rendered preview")
    expect(preview).to_contain_text("You left 1 items worth 80.")
    expect(page.get_by_text("What step remind gives this template")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
