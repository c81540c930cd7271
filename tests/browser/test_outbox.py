"""The dev outbox in a real browser: the emails a workflow "sent" under `automator dev` are
listed newest first with their channel, recipient, subject and a preview of the body, and
each links to the run that sent it, whose page links back to its messages."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

RECEIPT: dict[str, Any] = {
    "workflow_id": "browser_outbox_receipt",
    "name": "Browser outbox receipt",
    "trigger": {"type": "browser_outbox_order"},
    "actions": [
        {
            "id": "receipt",
            "type": "send_email",
            "data": {
                "recipient": "{{ user.email }}",
                "subject": "Your receipt",
                "body": "Thanks {{ user.name }}, order {{ order_id }} is in.",
            },
        }
    ],
}


def order(name: str, order_id: int) -> dict[str, Any]:
    user = {"id": name.lower(), "email": f"{name.lower()}@example.com", "name": name}
    return {"type": "browser_outbox_order", "user": user, "data": {"order_id": order_id}}


def test_the_outbox_lists_the_emails_sent_newest_first_each_linked_to_its_run(
    page: Page, service: Service
) -> None:
    service.publish(RECEIPT)
    service.settled_run(order("Ada", 1), "completed")
    newest = service.settled_run(order("Grace", 2), "completed")
    sign_in(page, service, service.key)

    page.get_by_role("link", name="Outbox", exact=True).click()
    page.get_by_label("Channel").select_option("email")
    expect(page).to_have_url(f"{service.base}/studio/outbox?channel=email")
    rows = page.locator("tr[data-message]")
    first = rows.first
    expect(first).to_contain_text("grace@example.com")
    expect(first).to_contain_text("Your receipt")
    expect(first).to_contain_text("Thanks Grace, order 2 is in.")
    expect(first).to_contain_text("Browser outbox receipt browser_outbox_receipt · step receipt")
    expect(rows.nth(1)).to_contain_text("ada@example.com")

    first.get_by_role("link", name=newest).click()
    expect(page.locator(".run-page")).to_have_attribute("data-run", newest)
    expect(page.locator("[data-step='receipt']")).to_have_attribute("data-status", "completed")

    page.get_by_role("link", name="Messages it sent").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("grace@example.com")


def test_a_recipient_typed_narrows_the_outbox_when_one_leaves_the_box(
    page: Page, service: Service
) -> None:
    """Typing a recipient and moving on filters the list; Enter is not the only way."""
    service.publish(RECEIPT)
    service.settled_run(order("Hopper", 3), "completed")
    service.settled_run(order("Lovelace", 4), "completed")
    sign_in(page, service, service.key)
    page.get_by_role("link", name="Outbox", exact=True).click()
    rows = page.locator("tr[data-message]")
    expect(rows.first).to_contain_text("lovelace@example.com")

    page.get_by_label("Recipient").fill("hopper@example.com")
    page.get_by_label("Channel").focus()

    expect(page).to_have_url(f"{service.base}/studio/outbox?recipient=hopper%40example.com")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Thanks Hopper, order 3 is in.")


def test_a_message_kept_while_the_outbox_is_open_appears_without_a_reload(
    page: Page, service: Service
) -> None:
    """Someone testing a workflow watches the outbox: what a run sends shows up by itself."""
    service.publish(RECEIPT)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/outbox?recipient=turing%40example.com")
    expect(page.get_by_text("No messages match.")).to_be_visible()

    service.settled_run(order("Turing", 5), "completed")

    rows = page.locator("tr[data-message]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Thanks Turing, order 5 is in.")
