"""The Studio runs under its Content-Security-Policy: no page it shows is refused a script, a
style or a request by the policy, and no page throws."""

from playwright.sync_api import ConsoleMessage, Error, Page, expect

from tests.browser.conftest import Service, sign_in

PAGES = ["/studio/", "/studio/wizard/", "/studio/runs", "/studio/outbox", "/studio/dashboard"]


def test_the_studio_breaks_no_rule_of_its_policy(page: Page, service: Service) -> None:
    complaints: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # Chromium reports each refusal as a console error naming the policy (a 401 before
        # signing in is an expected error of another kind).
        if "Content Security Policy" in message.text:
            complaints.append(message.text)

    def thrown(error: Error) -> None:
        complaints.append(f"uncaught: {error.message}")

    page.on("console", console)
    page.on("pageerror", thrown)
    sign_in(page, service, service.key)
    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    for path in PAGES:
        page.goto(service.base + path)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.wait_for_load_state("networkidle")

    assert complaints == []


def test_the_studio_asks_for_no_file_it_does_not_have(page: Page, service: Service) -> None:
    """A browser asks for the page's icon on its own; a 404 there fills the console."""
    missing: list[str] = []
    page.on(
        "response",
        lambda response: missing.append(response.url) if response.status == 404 else None,
    )
    page.goto(service.base + "/studio/")
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel='icon']").get_attribute("href")
    assert icon is not None
    assert page.request.get(service.base + icon).ok
    assert missing == []
