"""Importing workflow files on the workflow list shows each file's result, and under an
imported workflow the steps that would fail if a run reached them now (a message template not
made yet), as the editor shows a save's: the list said "created ... v1" and nothing more, and
the first event's run failed on the missing template."""

from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import Service, sign_in

# As the seed writes its workflows: `//` comments included.
ONBOARDING = """{
  // sent on every signup
  "workflow_id": "browser_import_onboarding",
  "name": "Browser import onboarding",
  "trigger": {"type": "browser_import_signup"},
  "actions": [
    {"id": "welcome", "type": "send_email", "template": "browser_import_welcome",
     "data": {"recipient": "{{user.email}}"}},
    {"id": "noted", "type": "log", "data": {"message": "welcomed"}}
  ]
}"""


def test_an_import_shows_the_steps_that_would_fail_now(page: Page, service: Service) -> None:
    sign_in(page, service, service.key)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import…").click()
    file = FilePayload(
        name="onboarding.json", mimeType="application/json", buffer=ONBOARDING.encode()
    )
    chooser.value.set_files([file])

    results = page.get_by_role("list", name="Import results")
    expect(results).to_contain_text(
        "onboarding.json: created — browser_import_onboarding v1;"
        " 1 step would fail if a run reached it now"
    )
    expect(results).to_contain_text(
        "welcome (send_email): message template 'browser_import_welcome' was not found."
    )
    results.get_by_role("link", name="Create it under Governance → Message templates").click()
    expect(page).to_have_url(
        f"{service.base}/studio/governance/templates?new=browser_import_welcome"
    )
