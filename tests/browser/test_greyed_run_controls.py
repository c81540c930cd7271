"""A run control that does not fit the run's state says why where keyboard and screen-reader
users reach it: on a control that still takes focus (a disabled button takes none) and is
described by the reason in text, shown while it has focus, not only in a hover tooltip."""

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.conftest import Service, Traffic, sign_in

FAILING: dict[str, Any] = {
    "workflow_id": "browser_greyed_controls",
    "name": "Browser greyed controls",
    "trigger": {"type": "browser_greyed_order"},
    "actions": [
        {
            "id": "mail",
            "type": "send_email",
            "template": "browser_greyed_missing_template",
            "data": {"recipient": "{{ user.email }}"},
        },
    ],
}
COMMANDS = {"pause", "resume", "cancel", "retry", "skip"}
RESUME_REASON = (
    "Resume continues a paused run; this run is failed, and resume works only on a run that is"
    " paused."
)


def test_a_greyed_run_control_takes_focus_says_why_and_does_nothing_on_enter(
    page: Page, service: Service, traffic: Traffic
) -> None:
    service.publish(FAILING)
    user = {"id": "greyed", "email": "greyed@example.com"}
    run_id = service.settled_run({"type": "browser_greyed_order", "user": user}, "failed")
    sign_in(page, service, service.key)
    page.goto(f"{service.base}/studio/runs/{run_id}")

    resume = page.get_by_role("button", name="Resume")
    expect(resume).to_have_attribute("aria-disabled", "true")
    expect(resume).to_have_accessible_description(RESUME_REASON)
    expect(resume).to_have_attribute("title", RESUME_REASON)  # the mouse keeps its tooltip
    reason = page.get_by_text(RESUME_REASON)
    expect(reason).to_have_css("width", "1px")  # read out, not shown, until it has focus
    resume.focus()
    expect(resume).to_be_focused()
    expect(reason).not_to_have_css("width", "1px")
    resume.press("Enter")  # greyed: nothing is sent

    # The control that fits the run is neither greyed nor described, and sends its command:
    # the one request the page makes after that Enter.
    retry = page.get_by_role("button", name="Retry")
    expect(retry).not_to_have_attribute("aria-disabled", "true")
    expect(retry).to_have_accessible_description("")
    retry.press("Enter")
    expect(page.get_by_text("Retry: the run is now")).to_be_visible()
    # (retry carries the run's revision as shown: ``?revision=``)
    paths = [urlsplit(url).path for url in traffic.urls if f"/runs/{run_id}/" in url]
    sent = [path.rsplit("/", 1)[1] for path in paths]
    assert [name for name in sent if name in COMMANDS] == ["retry"]
