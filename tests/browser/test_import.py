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


# Seed 002's configuration file: named workflows of tasks, schedules and logging.
TASKS = """{
  "workflows": {"browser_import_tasks": {"tasks": [
    {"type": "log", "name": "say", "config": {"message": "hello"}}
  ]}},
  "schedules": [{"name": "nightly", "workflow": "browser_import_tasks",
                 "schedule": "0 2 * * *", "enabled": false}],
  "logging": {"level": "INFO"}
}"""


def test_an_import_shows_what_the_file_held_that_was_not_imported(
    page: Page, service: Service
) -> None:
    """The API's notes (a disabled schedule, the file's logging) were not shown: the list
    said "created" and the schedule's absence went unnoticed."""
    sign_in(page, service, service.key)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import…").click()
    file = FilePayload(name="tasks.json", mimeType="application/json", buffer=TASKS.encode())
    chooser.value.set_files([file])

    results = page.get_by_role("list", name="Import results")
    expect(results).to_contain_text("tasks.json: created — browser_import_tasks v1")
    notes = results.locator(".import-notes").get_by_role("listitem")
    expect(notes).to_have_text(
        [
            "schedule 'nightly' is disabled (enabled: false): not imported",
            "'logging' is not imported: Automator logs as AUTOMATOR_LOG_LEVEL and"
            " AUTOMATOR_LOG_FORMAT (or --log-level) say",
        ]
    )
