"""Governance → AI: an admin sees the model the tenant's calls use, changes it and tests it.
Before, no page configured AI: the copilot's note named environment variables and
``PUT /api/integrations/ai``, which a marketer setting up the copilot cannot use.

The models are stand-ins (tests/stand_in_models.py: HTTP servers on 127.0.0.1 speaking
OpenAI's wire format), not models: the package's, which the deployment's settings point at,
and this test's own, which the admin points the tenant at."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_httpserver import HTTPServer

from tests.browser.conftest import Service, sign_in
from tests.stand_in_models import StandInOpenAI

KEY_VALUE = "sk-stand-in-canary-2718"


@pytest.fixture
def tenant_model() -> Iterator[StandInOpenAI]:
    """The stand-in model server the admin configures for the tenant."""
    server = HTTPServer(host="127.0.0.1", port=0)
    stand_in = StandInOpenAI(server, ["OK"], model="tenant-model")
    server.start()
    try:
        yield stand_in
    finally:
        server.stop()


@pytest.fixture
def tenant_config(service: Service) -> Iterator[None]:
    """The tenant's own AI configuration is removed after the test: the package's other tests
    use the deployment's stand-in."""
    yield
    service.api("DELETE", "/api/integrations/ai")


def test_an_admin_follows_the_copilots_note_sets_the_model_and_tests_it(
    page: Page,
    service: Service,
    model: StandInOpenAI,
    tenant_model: StandInOpenAI,
    tenant_config: None,
) -> None:
    stored = service.api("PUT", "/api/secrets/AI_STAND_IN_KEY", json={"value": KEY_VALUE})
    assert stored.status_code in (200, 201), stored.text
    # A provider with no default model: the copilot cannot draft, and says so.
    half_done = {"providers": [{"provider": "openai", "base_url": tenant_model.base_url}]}
    put = service.api("PUT", "/api/integrations/ai", json={"config": half_done})
    assert put.status_code in (200, 201), put.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/wizard")

    page.get_by_role("note").get_by_role("link", name="Set up AI").click()

    page.wait_for_url("**/studio/governance/ai")
    expect(page.get_by_role("status", name="Copilot")).to_contain_text("cannot draft")
    in_use = page.get_by_role("table", name="AI providers in use")
    expect(in_use).to_contain_text(tenant_model.base_url)
    page.get_by_label("Model", exact=True).fill("tenant-model")
    page.get_by_role("combobox", name="API key").select_option("AI_STAND_IN_KEY")
    page.get_by_role("button", name="Save AI provider").click()

    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(in_use).to_contain_text("secret AI_STAND_IN_KEY")
    expect(page.get_by_role("status", name="Copilot")).to_contain_text("can draft")
    asked_before = len(model.requests)
    page.get_by_role("button", name="Test the providers in use").click()

    expect(page.get_by_text("answered in")).to_contain_text("openai (tenant-model)")
    expect(page.get_by_text("answered in")).to_contain_text("OK")
    assert len(tenant_model.requests) == 1
    assert tenant_model.headers[0]["Authorization"] == f"Bearer {KEY_VALUE}"
    assert len(model.requests) == asked_before, "the test call went to another model server"
    assert KEY_VALUE not in page.content()

    page.get_by_role("button", name="Remove this tenant's provider").click()
    expect(page.get_by_text("The deployment's (its AUTOMATOR_AI_* settings)")).to_be_visible()
    expect(in_use).to_contain_text(model.base_url)


def test_an_admin_tests_the_provider_the_form_holds_before_saving_it(
    page: Page,
    service: Service,
    model: StandInOpenAI,
    tenant_model: StandInOpenAI,
    tenant_config: None,
) -> None:
    """The test button tested the saved configuration: a person who changed the model or the
    key and pressed it heard from the old one. The form's provider is tested as it stands."""
    stored = service.api("PUT", "/api/secrets/AI_STAND_IN_KEY", json={"value": KEY_VALUE})
    assert stored.status_code in (200, 201), stored.text
    sign_in(page, service, service.key)
    page.goto(service.base + "/studio/governance/ai")
    form = page.get_by_role("form", name="This tenant's AI provider")
    test = form.get_by_role("button", name="Test this provider")
    expect(test).to_have_attribute("aria-disabled", "true")
    expect(test).to_have_accessible_description(re.compile("^To save or test the provider, give"))

    form.get_by_label("Base URL").fill(tenant_model.base_url)
    form.get_by_label("Model", exact=True).fill("tenant-model")
    form.get_by_role("combobox", name="API key").select_option("AI_STAND_IN_KEY")
    asked_before = len(model.requests)
    test.click()

    expect(form.get_by_text("answered in")).to_contain_text("openai (tenant-model)")
    assert len(tenant_model.requests) == 1
    assert tenant_model.headers[0]["Authorization"] == f"Bearer {KEY_VALUE}"
    assert len(model.requests) == asked_before, "the test call went to the deployment's model"
    assert KEY_VALUE not in page.content()
    # Nothing was saved: the deployment's provider is still the one in use.
    expect(page.get_by_text("The deployment's (its AUTOMATOR_AI_* settings)")).to_be_visible()
    assert service.api("GET", "/api/integrations/ai/providers").json()["source"] == "deployment"


def test_an_editor_sees_whether_the_copilot_can_draft_and_no_configuration(
    page: Page, service: Service
) -> None:
    sign_in(page, service, service.new_key("editor", "browser editor of AI"))
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    page.goto(service.base + "/studio/governance/ai")

    expect(page.get_by_role("status", name="Copilot")).to_contain_text("can draft")
    expect(page.get_by_text("Only admins see and change the AI providers.")).to_be_visible()
    expect(page.get_by_role("button", name="Save AI provider")).to_have_count(0)
    assert not [url for url in asked if "/api/integrations" in url]
