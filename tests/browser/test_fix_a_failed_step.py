"""A run failed on a missing message template is fixed from the console, as a marketer
would, with no curl: the run page's error links to the page that makes the template, that
page opens on a new template of that name, and Retry completes the run. Before, the run page
said only "create it with POST /api/templates" and the Templates page opened empty; then it
named that call beside the link, which a marketer has no use for."""

from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, sign_in

THANKS: dict[str, Any] = {
    "workflow_id": "browser_fix_thanks",
    "name": "Browser fix thanks",
    "trigger": {"type": "browser_fix_purchase"},
    "actions": [
        {
            "id": "thank",
            "type": "send_email",
            "template": "browser_fix_thanks_email",
            "data": {"recipient": "{{ user.email }}", "subject": "Thanks!"},
        }
    ],
}


def test_a_run_failed_on_a_missing_template_is_fixed_and_retried_from_its_page(
    page: Page, service: Service
) -> None:
    service.publish(THANKS)
    event = {"type": "browser_fix_purchase", "user": {"id": "u-fix", "email": "fix@example.com"}}
    run_id = service.settled_run(event, "failed")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    failure = page.get_by_role("alert").filter(has_text="The run failed")
    expect(failure).to_contain_text("'browser_fix_thanks_email' was not found")
    step_error = page.get_by_role("note", name="Error of step thank")
    for message in (failure, step_error):
        expect(message).not_to_contain_text("POST /api/templates")
    expect(
        step_error.get_by_role("link", name="Create it under Governance → Message templates")
    ).to_be_visible()
    failure.get_by_role("link", name="Create it under Governance → Message templates").click()

    name = page.get_by_role("textbox", name="Name", exact=True)
    expect(name).to_have_value("browser_fix_thanks_email")
    # Empty, it says what to fill rather than ask the API for a preview it refuses (422).
    expect(page.get_by_role("note")).to_contain_text("Fill in the plain text or the HTML")
    expect(page.get_by_role("button", name="Create template")).to_be_disabled()
    page.get_by_label("Plain text").fill("Thank you for your order.")
    page.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="browser_fix_thanks_email")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Created browser_fix_thanks_email.")

    page.go_back()
    page.get_by_role("button", name="Retry", exact=True).click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator("[data-step='thank'][data-status='completed']")).to_be_visible()


PINNED: dict[str, Any] = THANKS | {
    "workflow_id": "browser_fix_pinned",
    "name": "Browser fix pinned",
    "trigger": {"type": "browser_fix_pinned_purchase"},
    "actions": [THANKS["actions"][0] | {"template": "browser_fix_pinned_email"}],
}


def test_a_failed_run_says_its_retry_keeps_to_its_version_once_a_newer_one_is_active(
    page: Page, service: Service
) -> None:
    """Retry goes on with the steps of the version the run started on: a marketer who fixed
    the workflow and published it saw the retried run fail just the same, unexplained."""
    service.publish(PINNED)
    event = {"type": "browser_fix_pinned_purchase", "user": {"id": "u-pin", "email": "p@x.io"}}
    run_id = service.settled_run(event, "failed")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")
    note = page.get_by_role("note", name="Version of this run")
    expect(page.locator(".run-page")).to_have_attribute("data-status", "failed")
    # The workflow's answer came (its active version is the run's), and no note with it.
    expect(page.locator(".facts")).to_contain_text("browser_fix_pinned version 1 (active)")
    expect(note).to_have_count(0)

    fixed = PINNED["actions"][0] | {"template": None, "data": {"subject": "Fixed", "body": "b"}}
    service.publish(PINNED | {"actions": [{k: v for k, v in fixed.items() if v is not None}]})
    page.reload()
    expect(note).to_contain_text("keeps to version 1")
    expect(note).to_contain_text("Version 2, active now")


PUSH: dict[str, Any] = {
    "workflow_id": "browser_fix_push",
    "name": "Browser fix push",
    "trigger": {"type": "browser_fix_cart"},
    "actions": [
        {
            "id": "remind",
            "type": "send_push",
            "name": "Remind on the phone",
            "data": {"title": "Hi"},
        }
    ],
}


def test_a_failed_run_opens_the_step_that_failed_in_the_editor(
    page: Page, service: Service
) -> None:
    """A step that failed on its own settings (no recipient) is fixed in the workflow, but
    the run's page linked only to the workflow, whose canvas opened on no step."""
    service.publish(PUSH)
    event = {"type": "browser_fix_cart", "user": {"id": "u-push", "email": "p@example.com"}}
    run_id = service.settled_run(event, "failed")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    failure = page.get_by_role("alert").filter(has_text="The run failed")
    expect(failure).to_contain_text("no recipient")
    failure.get_by_role("link", name="Open Remind on the phone in the editor").click()

    expect(page).to_have_url(f"{service.base}/studio/workflows/browser_fix_push?step=remind")
    inspector = page.get_by_label("Node inspector")
    expect(inspector.get_by_role("heading", name="Send push")).to_be_visible()
    expect(inspector).to_contain_text("remind")
    expect(inspector.get_by_text("recipients", exact=True)).to_be_visible()


REFUNDED: dict[str, Any] = {
    "workflow_id": "browser_fix_refunded",
    "name": "Browser fix refunded",
    "trigger": {"type": "browser_fix_refund_cart"},
    "actions": [{"id": "charge", "type": "send_push", "data": {"title": "Hi"}}],
    "settings": {
        "on_error": "compensate",
        "compensation": [
            {
                "id": "refund",
                "type": "send_email",
                "template": "browser_fix_refund_email",
                "data": {"recipient": "{{ user.email }}", "subject": "{{ run.error.step_id }}"},
            }
        ],
    },
}


def test_a_failed_compensation_is_said_on_the_run_page_and_kept_in_its_history_once_retried(
    page: Page, service: Service
) -> None:
    """The run's alert said only the step that failed it, not why its compensation failed
    too; and Retry cleared the failure the compensation handles, which its step read."""
    service.publish(REFUNDED)
    event = {"type": "browser_fix_refund_cart", "user": {"id": "u-refund", "email": "r@x.io"}}
    run_id = service.settled_run(event, "failed")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    failure = page.get_by_role("alert").filter(has_text="The run failed")
    expect(failure).to_contain_text("no recipient")
    expect(failure).to_contain_text("; its compensation failed at step refund:")
    expect(failure).to_contain_text("'browser_fix_refund_email' was not found")

    template = {"name": "browser_fix_refund_email", "text": "Refunded."}
    assert service.api("POST", "/api/templates", json=template).status_code == 201
    page.get_by_role("button", name="Retry", exact=True).click()
    expect(page.locator("[data-step='refund'][data-status='completed']")).to_be_visible()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "failed")
    expect(failure).to_contain_text("no recipient")
    expect(failure).not_to_contain_text("its compensation failed")
    history = page.locator(".history")
    expect(history).to_contain_text("retried; its compensation failed at step refund:")
    expect(history).to_contain_text("compensation done")


RERUN: dict[str, Any] = THANKS | {
    "workflow_id": "browser_fix_rerun",
    "name": "Browser fix rerun",
    "trigger": {"type": "browser_fix_rerun_purchase"},
    "actions": [THANKS["actions"][0] | {"template": "browser_fix_rerun_email"}],
}
BYSTANDER: dict[str, Any] = {
    "workflow_id": "browser_fix_bystander",
    "name": "Browser fix bystander",
    "trigger": {"type": "browser_fix_rerun_purchase"},
    "actions": [{"id": "note", "type": "log", "data": {"message": "bought"}}],
}


def test_a_failed_run_runs_its_event_again_on_the_fixed_version(
    page: Page, service: Service
) -> None:
    """Once the workflow was fixed, the run's page said Retry keeps to the old version, and
    offered no way to give the customer the fixed one: the Events page's Replay starts every
    workflow the event matches now, not only the one that failed."""
    service.publish(RERUN)
    event = {"type": "browser_fix_rerun_purchase", "user": {"id": "u-re", "email": "r@x.io"}}
    run_id = service.settled_run(event, "failed")
    # The other workflow on the event's type came later: it too would start on a replay.
    service.publish(BYSTANDER)
    fixed = {
        "id": "thank",
        "type": "send_email",
        "data": {"subject": "Thanks", "body": "Thank you."},
    }
    service.publish(RERUN | {"actions": [fixed]})
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    note = page.get_by_role("note", name="Version of this run")
    note.get_by_role("button", name="Run its event again on version 2").click()
    sent = note.get_by_role("status", name="Sent event")
    expect(sent).to_contain_text("1 run started")
    sent.get_by_role("link", name="Follow run").click()
    expect(page.locator(".run-page")).to_have_attribute("data-status", "completed")
    expect(page.locator(".facts")).to_contain_text("browser_fix_rerun version 2 (active)")
    bystander = service.api("GET", "/api/runs?workflow_id=browser_fix_bystander").json()
    assert bystander["items"] == [], "the replay started another workflow on its type"
