"""The Test tab's first dry run of the seed's welcome campaign, pasted as the README has it:
on the defaults the sample event holds the trigger's condition (`email_verified`) and every
user field the steps read, so the dry run goes through all three steps."""

import re
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Service, sign_in

SEED = Path(__file__).parents[2] / "examples" / "workflows" / "welcome_campaign_001.json"
TEMPLATES = [
    {
        "name": "welcome_email",
        "subject": "Welcome, {{ user_name }}!",
        "text": "Hi {{ user_name }}.",
    },
    {"name": "welcome_push", "text": "Hi {{ user.name }}, welcome aboard."},
]


def first_dry_run(page: Page, service: Service, workflow_id: str) -> Locator:
    """The result of a dry run on the sample event the Test tab makes for the workflow."""
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/workflows/{workflow_id}")
    page.get_by_role("tab", name="Test", exact=True).click()
    page.get_by_role("button", name="Run a dry run").click()
    return page.get_by_label("Dry run result")


def test_a_first_dry_run_of_the_seed_workflow_on_the_defaults_goes_through_it(
    page: Page, service: Service
) -> None:
    for template in TEMPLATES:
        service.api("POST", "/api/templates", json=template)
    headers = {"Authorization": f"Bearer {service.key}", "Content-Type": "application/json"}
    created = httpx.post(
        f"{service.base}/api/workflows", content=SEED.read_bytes(), headers=headers
    )
    assert created.status_code in (201, 409), created.text
    result = first_dry_run(page, service, "welcome_campaign_001")
    expect(result).to_contain_text("Trigger matches")
    expect(result).to_contain_text("would end completed")
    for step in ("action_001", "action_002", "action_003"):
        expect(result.locator("tr", has_text=step)).to_contain_text("completed")


BRANCHED = {
    "workflow_id": "browser_main_path",
    "name": "Big orders",
    "trigger": {
        "type": "browser_main_path_order",
        "conditions": [{"field": "country", "operator": "equals", "value": "NL"}],
    },
    "actions": [
        {
            "id": "big_order",
            "type": "condition",
            "conditions": [{"field": "cart_value", "operator": "greater_than", "value": 100}],
            "then": [{"id": "vip_note", "type": "log", "data": {"message": "vip"}}],
            "else": [{"id": "small_note", "type": "log", "data": {"message": "small"}}],
        },
        {
            "id": "coupon_note",
            "type": "log",
            "conditions": [{"field": "coupon", "operator": "exists"}],
            "data": {"message": "coupon {{ coupon }}"},
        },
    ],
}


def test_the_sample_event_takes_a_dry_run_down_the_main_path_of_branches(
    page: Page, service: Service
) -> None:
    """Conditions on inner steps hold on the defaults too: the branch's `then`, not its
    `else`, and a conditional step runs rather than being skipped."""
    service.publish(BRANCHED)
    result = first_dry_run(page, service, "browser_main_path")
    expect(result).to_contain_text("would end completed")
    for step in ("vip_note", "coupon_note"):
        expect(result.locator("tr", has_text=step)).to_contain_text("completed")
    expect(result.locator("tr", has_text="small_note")).to_have_count(0)


CART = {
    "workflow_id": "browser_cart_reminder",
    "name": "Cart reminder",
    "trigger": {"type": "browser_abandoned_cart"},
    "actions": [
        {
            "id": "remind",
            "type": "send_email",
            "template": "browser_cart_reminder",
            "data": {"recipient": "{{ user.email }}"},
        }
    ],
}


def test_the_sample_event_carries_what_the_steps_message_template_reads(
    page: Page, service: Service
) -> None:
    """The template reads cart.items and cart.total, which the workflow never names: the
    sample left them out and the dry run on the defaults ended failed. The step's row shows
    the email as the sample renders it (it showed the step's data, `{}` but the recipient)."""
    template = {
        "name": "browser_cart_reminder",
        "subject": "Your cart",
        "text": "{{ cart.items | length }} items for {{ cart.total }} EUR",
    }
    assert service.api("POST", "/api/templates", json=template).status_code == 201
    service.publish(CART)
    result = first_dry_run(page, service, "browser_cart_reminder")
    expect(result).to_contain_text("would end completed")
    row = result.locator("tr", has_text="remind")
    expect(row).to_contain_text("completed")
    expect(row).to_contain_text(re.compile(r"To \S+@\S+ · Your cart · \d+ items for \S+ EUR"))


UNMADE = {
    "workflow_id": "browser_dry_unmade",
    "name": "Template not made",
    "trigger": {"type": "browser_dry_unmade_signup"},
    "actions": [
        {
            "id": "hello",
            "type": "send_email",
            "template": "browser_dry_unmade_email",
            "data": {"recipient": "{{ user.email }}"},
        }
    ],
}


def test_a_dry_run_failing_on_a_missing_template_links_to_making_it(
    page: Page, service: Service
) -> None:
    """The result quoted the API's advice ("... or with POST /api/templates") where the
    editor's warning and a run's error link to the page that makes the template, and its row
    said `would_fail`."""
    service.publish(UNMADE)
    result = first_dry_run(page, service, "browser_dry_unmade")
    expect(result).to_contain_text(
        "would end failed — message template 'browser_dry_unmade_email' was not found."
    )
    expect(result).not_to_contain_text("POST /api/templates")
    expect(result.locator("tr", has_text="hello")).to_contain_text("would fail")
    result.get_by_role("link", name="Create it under Governance → Message templates").click()
    expect(page).to_have_url(
        f"{service.base}/studio/governance/templates?new=browser_dry_unmade_email"
    )
