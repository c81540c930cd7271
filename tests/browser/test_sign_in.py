"""A person signs in to the Studio with an API key, sees the workflows, and signs out; the key
stays out of URLs and storage, and nothing the pages load comes from another host."""

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Service, Traffic, sign_in, submit_key


def test_the_sign_in_page_loads_with_nothing_from_another_host(
    page: Page, service: Service, traffic: Traffic
) -> None:
    page.goto(service.base + "/")

    expect(page).to_have_url(service.base + "/studio/")
    expect(page.get_by_label("API key")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert traffic.urls
    assert traffic.foreign() == []


def test_a_wrong_key_is_refused_with_a_message(page: Page, service: Service) -> None:
    submit_key(page, service, "atm_not-a-key")

    expect(page.get_by_role("alert")).to_contain_text("not valid")
    expect(page.get_by_label("API key")).to_be_visible()
    # A key printed once and lost: the page says how to make another.
    hint = page.locator(".hint")
    expect(hint).to_contain_text("automator create-api-key --tenant default --role admin")


def test_the_key_signs_in_to_the_workflow_list_and_stays_out_of_the_page(
    page: Page,
    context: BrowserContext,
    service: Service,
    traffic: Traffic,
    workflow: dict[str, object],
) -> None:
    sign_in(page, service, service.key)

    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    expect(page.get_by_text(str(workflow["name"]))).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "automator_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert service.key not in cookie["value"]
    stored = page.evaluate(
        "() => JSON.stringify([document.cookie, {...localStorage}, {...sessionStorage}])"
    )
    assert "automator_session" not in stored
    assert service.key not in stored
    assert not any(service.key in url for url in traffic.urls)
    assert traffic.foreign() == []


def test_sign_out_returns_to_the_sign_in_and_ends_the_session(
    page: Page, context: BrowserContext, service: Service
) -> None:
    sign_in(page, service, service.key)
    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    token = next(c["value"] for c in context.cookies() if c["name"] == "automator_session")

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_label("API key")).to_be_visible()
    assert all(c["name"] != "automator_session" for c in context.cookies())
    ended = page.request.get(
        service.base + "/api/session", headers={"Cookie": f"automator_session={token}"}
    )
    assert ended.status == 401
    page.reload()
    expect(page.get_by_label("API key")).to_be_visible()


def test_the_api_reference_loads_with_nothing_from_another_host(
    page: Page, service: Service, traffic: Traffic
) -> None:
    page.goto(service.base + "/docs")

    # Swagger UI builds every operation of a large openapi.json in the page before it shows
    # one: seconds of a loaded CI machine's CPU, which the default 5 s did not always cover.
    expect(page.get_by_text("/api/session").first).to_be_visible(timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in traffic.urls)
    assert traffic.foreign() == []


def test_a_deep_link_signs_in_to_the_page_it_names(page: Page, service: Service) -> None:
    page.goto(service.base + "/studio/wizard/")
    page.get_by_label("API key").fill(service.key)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="New workflow")).to_be_visible()
    expect(page).to_have_url(service.base + "/studio/wizard/")
