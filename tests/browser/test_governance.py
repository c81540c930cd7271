"""Governance in a real browser: a rotated secret shows only asterisks (and the API never
sends a value back), a new API key is shown once, a key's last use is shown once it is used,
and its expiry (expired, soon), a revocation leaving only expiring admin keys says so, a
key limited to a tag reaches only the workflows carrying it, and lower roles see no admin
pieces."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import OPERATOR_TOKEN, Service, sign_in

NAME = "BROWSER_PROVIDER_TOKEN"
OLD, NEW = "old-value-3f9c2a71", "new-value-8d41e6b0"


def test_rotating_a_secret_shows_only_asterisks(page: Page, service: Service) -> None:
    stored = service.api("PUT", f"/api/secrets/{NAME}", json={"value": OLD})
    assert stored.status_code in (200, 201), stored.text
    answers: list[str] = []
    page.on("response", lambda r: answers.append(r.text()) if "/api/secrets" in r.url else None)
    sign_in(page, service, service.key)

    page.get_by_role("link", name="Governance").click()
    row = page.locator(f"tr[data-secret='{NAME}']")
    expect(row).to_contain_text("********")
    row.get_by_role("button", name="Rotate").click()
    row.get_by_label(f"New value of {NAME}").fill(NEW)
    row.get_by_role("button", name="Save new value").click()

    expect(row.get_by_role("status")).to_have_text("Rotated.")
    expect(row.locator(".masked")).to_have_text("********")
    expect(row).not_to_contain_text("never")  # the rotated time is shown
    content = page.content()
    assert OLD not in content
    assert NEW not in content
    assert answers, "the page read no secret from the API"
    assert not any(OLD in text or NEW in text for text in answers)


def test_a_new_api_key_is_shown_once(page: Page, service: Service) -> None:
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/keys")

    page.get_by_label("Name").fill("browser shown once")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create key").click()

    shown = page.get_by_label("New API key")
    expect(shown).to_contain_text("atm_")
    key = shown.inner_text()
    page.get_by_role("button", name="I have kept it").click()
    expect(page.get_by_label("New API key")).to_have_count(0)
    expect(page.locator("tr[data-key]", has_text="browser shown once")).to_have_count(1)
    assert key not in page.content()


def last_used(service: Service, name: str) -> str | None:
    (key,) = [one for one in service.api("GET", "/api/keys").json() if one["name"] == name]
    used: str | None = key["last_used_at"]
    return used


def test_a_keys_last_use_is_shown(page: Page, service: Service) -> None:
    key = service.new_key("viewer", "browser last used")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/keys")
    row = page.locator("tr[data-key]", has_text="browser last used")
    expect(row).to_contain_text("never used")

    bearer = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{service.base}/api/workflows", headers=bearer).status_code == 200
    deadline = time.monotonic() + 30
    while not last_used(service, "browser last used"):  # recorded after the answer
        assert time.monotonic() < deadline, "the key's use was never recorded"
        time.sleep(0.2)
    page.reload()
    expect(row).not_to_contain_text("never used")


def test_keys_show_when_they_expire(page: Page, service: Service) -> None:
    """An expired key reads as such, one expiring within a week as soon, and one made in
    the form says when it stops working."""
    now = datetime.now(UTC)
    for name, expires_at in (
        ("browser expires soon", now + timedelta(days=3)),
        ("browser expired", now + timedelta(seconds=1)),
    ):
        body = {"role": "viewer", "name": name, "expires_at": expires_at.isoformat()}
        created = service.api("POST", "/api/keys", json=body)
        assert created.status_code == 201, created.text
    bearer = {"Authorization": f"Bearer {created.json()['key']}"}
    deadline = time.monotonic() + 30
    while httpx.get(f"{service.base}/api/workflows", headers=bearer).status_code != 401:
        assert time.monotonic() < deadline, "the key never expired"
        time.sleep(0.2)
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/keys")
    expect(page.locator("tr[data-key]", has_text="browser expired")).to_contain_text("expired 2")
    soon = page.locator("tr[data-key]", has_text="browser expires soon")
    expect(soon).to_contain_text("(soon)")

    page.get_by_label("Name").fill("browser for a while")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_label("Expires").fill("2099-01-31T12:00")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("status")).to_contain_text("It stops working at 2099-01-31 12:00:00")
    page.get_by_role("button", name="I have kept it").click()
    row = page.locator("tr[data-key]", has_text="browser for a while")
    expect(row).to_contain_text("2099-01-31 12:00:00")
    expect(row).not_to_contain_text("(soon)")


def test_revoking_the_admin_key_that_does_not_expire_is_told(page: Page, service: Service) -> None:
    """In a tenant of its own (made with the operator API, so the package's tenant keeps its
    keys): signed in with an admin key that expires, revoking the one that does not shows
    the API's notice."""
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    body = {"tenant_id": "browser-notice", "name": "Browser notice"}
    made = httpx.post(f"{service.base}/api/operator/tenants", headers=operator, json=body)
    assert made.status_code == 201, made.text
    first = made.json()["admin_key"]
    expires_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    temporary = httpx.post(
        f"{service.base}/api/keys",
        headers={"Authorization": f"Bearer {first['key']}"},
        json={"role": "admin", "name": "browser temporary", "expires_at": expires_at},
    )
    assert temporary.status_code == 201, temporary.text
    sign_in(page, service, temporary.json()["key"])
    page.goto(f"{service.base}/studio/governance/keys")

    row = page.locator(f"tr[data-key='{first['key_id']}']")
    row.get_by_role("button", name="Revoke").click()
    expect(row).not_to_contain_text("active")
    expect(page.get_by_role("status")).to_contain_text("Every admin key of the tenant expires")


def test_a_key_limited_to_a_tag_reaches_only_its_workflows(page: Page, service: Service) -> None:
    for workflow_id, tag in (("keys_emea", "browser_emea"), ("keys_ops", "browser_ops")):
        document = {
            "workflow_id": workflow_id,
            "name": workflow_id,
            "tags": [tag],
            "trigger": {"type": "user_signup"},
            "actions": [{"id": "hello", "type": "log", "data": {"message": "hi"}}],
        }
        created = service.api("POST", "/api/workflows", json=document)
        assert created.status_code == 201, created.text
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/keys")

    page.get_by_label("Name").fill("browser emea team")
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Only tags").fill("browser_emea")
    page.get_by_role("button", name="Create key").click()

    shown = page.get_by_label("New API key")
    expect(page.get_by_role("status")).to_contain_text("for workflows tagged browser_emea")
    key = shown.inner_text()
    page.get_by_role("button", name="I have kept it").click()
    row = page.locator("tr[data-key]", has_text="browser emea team")
    expect(row).to_contain_text("workflows tagged browser_emea")
    yours = page.get_by_role("button", name="Revoke (yours)")
    expect(page.locator("tr[data-key]", has=yours)).to_contain_text("the whole tenant")
    listed = httpx.get(
        f"{service.base}/api/workflows", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert [one["workflow_id"] for one in listed["items"]] == ["keys_emea"]


def test_an_editor_sees_no_secrets_keys_or_audit_log(page: Page, service: Service) -> None:
    sign_in(page, service, service.new_key("editor", "browser editor"))

    page.get_by_role("link", name="Governance").click()

    tabs = page.get_by_role("navigation", name="Governance")
    expect(tabs.get_by_role("link")).to_have_text(
        ["Message templates", "Limits & quota", "Alerts", "AI", "Settings"]
    )
    page.goto(f"{service.base}/studio/governance/secrets")
    expect(page.get_by_text("This part of Governance is for admins.")).to_be_visible()


def test_an_admin_saves_the_tenants_limits_as_json(page: Page, service: Service) -> None:
    """The limits' JSON box: Save is greyed, saying what the parser found, until the text is
    an object; saved, the API holds the limits and the quota's use appears."""
    limits = {"quota": {"runs": 1_000_000, "period": "P1D"}}
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/governance/limits")
    box = page.get_by_label("Tenant limits (JSON)")
    save = page.get_by_role("button", name="Save limits")
    try:
        box.fill("[]")
        expect(save).to_have_accessible_description(
            "To save the limits, correct the JSON. Expected a JSON object ({ … })."
        )
        box.fill(json.dumps(limits))
        save.click()

        expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
        expect(page.get_by_label("Quota used")).to_be_visible()
        saved = service.api("GET", "/api/tenant/limits").json()
        assert saved["quota"] == limits["quota"], saved
    finally:
        service.api("PUT", "/api/tenant/limits", json={})
