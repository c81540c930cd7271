"""Inbound webhooks in a real browser: an admin adds a hook checked by a stored signing
secret, reads the URL to give the sender (it answers), and deletes it (it stops answering)."""

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in


def test_an_admin_adds_a_hook_gives_its_url_and_deletes_it(page: Page, service: Service) -> None:
    stored = service.api("PUT", "/api/secrets/BROWSER_STRIPE", {"value": "whsec_browser"})
    assert stored.is_success, stored.text
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/hooks")

    form = page.get_by_role("form", name="Add a hook")
    form.get_by_label("Name").fill("Stripe payments")
    form.get_by_label("Event type").fill("payment_succeeded")
    form.get_by_label("Verification").select_option("stripe")
    form.get_by_label("Signing secret").select_option("BROWSER_STRIPE")
    form.get_by_label("Mapping (JSON, optional)").fill('{"user": {"id": "{{ body.customer }}"}}')
    form.get_by_role("button", name="Add hook").click()

    url = page.get_by_label("URL of Stripe payments")
    expect(url).to_contain_text(f"{service.base}/hooks/")
    row = page.locator("tr", has=url)
    expect(row).to_contain_text("stripe with BROWSER_STRIPE")
    listed = service.api("GET", "/api/hooks").json()["items"]
    (hook,) = [one for one in listed if one["name"] == "Stripe payments"]
    assert hook["mapping"] == {"user": {"id": "{{ body.customer }}"}}
    assert url.inner_text() == service.base + hook["url"]
    # The sender's URL answers: an unsigned delivery is refused, not unknown.
    assert httpx.post(url.inner_text(), json={"customer": "u1"}).status_code == 401

    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Delete Stripe payments for good").click()
    expect(page.get_by_label("URL of Stripe payments")).to_have_count(0)
    assert httpx.post(service.base + hook["url"], json={}).status_code == 404
