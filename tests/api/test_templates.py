"""The message template API: CRUD, roles, tenant isolation, checks at save."""

import httpx

from app.api.examples import TEMPLATE_EXAMPLE
from app.models.tenant import Role
from app.resources import Resources
from tests.conftest import auth_for

WELCOME = TEMPLATE_EXAMPLE


async def headers(resources: Resources, tenant: str, role: Role) -> dict[str, str]:
    return await auth_for(resources, tenant, role)


async def test_create_read_list_update_and_delete(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/templates", json=WELCOME)
    assert created.status_code == 201, created.text
    assert created.json()["subject"] == WELCOME["subject"]
    again = await client.post("/api/templates", json=WELCOME)
    assert again.status_code == 409
    assert "already exists" in again.json()["error"]["message"]
    await client.post("/api/templates", json={"name": "cart_reminder", "text": "Your cart"})

    listed = (await client.get("/api/templates")).json()
    assert [t["name"] for t in listed["items"]] == ["cart_reminder", "welcome_email"]
    page = (await client.get("/api/templates", params={"limit": 1})).json()
    assert page["next_after"] == "cart_reminder"
    rest = (await client.get("/api/templates", params={"after": "cart_reminder"})).json()
    assert [t["name"] for t in rest["items"]] == ["welcome_email"]

    updated = await client.put("/api/templates/welcome_email", json={"text": "New text"})
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["subject"], body["text"], body["html"]) == (None, "New text", None)
    assert body["created_at"] == created.json()["created_at"]
    assert (await client.get("/api/templates/welcome_email")).json()["text"] == "New text"

    assert (await client.delete("/api/templates/welcome_email")).status_code == 204
    assert (await client.get("/api/templates/welcome_email")).status_code == 404
    missing = await client.put("/api/templates/welcome_email", json={"text": "x"})
    assert missing.status_code == 404


async def test_another_tenants_template_is_a_404(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    acme = await headers(resources, "acme", Role.ADMIN)
    globex = await headers(resources, "globex", Role.ADMIN)
    assert (await client.post("/api/templates", json=WELCOME, headers=acme)).status_code == 201
    for method, body in (("GET", None), ("PUT", {"text": "x"}), ("DELETE", None)):
        response = await client.request(
            method, "/api/templates/welcome_email", json=body, headers=globex
        )
        assert response.status_code == 404, (method, response.text)
    assert (await client.get("/api/templates", headers=globex)).json()["items"] == []
    own = await client.post("/api/templates", json=WELCOME | {"subject": "G"}, headers=globex)
    assert own.status_code == 201
    acme_copy = await client.get("/api/templates/welcome_email", headers=acme)
    assert acme_copy.json()["subject"] == WELCOME["subject"]


async def test_editors_write_and_viewers_only_read(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    editor = await headers(resources, "acme", Role.EDITOR)
    viewer = await headers(resources, "acme", Role.VIEWER)
    assert (await client.post("/api/templates", json=WELCOME, headers=editor)).status_code == 201
    assert (await client.get("/api/templates/welcome_email", headers=viewer)).status_code == 200
    refused = [
        await client.post("/api/templates", json=WELCOME | {"name": "x"}, headers=viewer),
        await client.put("/api/templates/welcome_email", json={"text": "x"}, headers=viewer),
        await client.delete("/api/templates/welcome_email", headers=viewer),
    ]
    assert [response.status_code for response in refused] == [403, 403, 403]


async def test_a_syntax_error_is_a_422_naming_the_part(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/templates", json=WELCOME | {"html": "<p>\n{{ user_name }</p>"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"].startswith("html: unexpected '}'")
    assert "(line 2)" in error["message"]
    assert error["details"][0]["loc"] == ["body", "html"]
    assert (await client.get("/api/templates/welcome_email")).status_code == 404


async def test_bad_names_sizes_and_empty_templates_are_refused(client: httpx.AsyncClient) -> None:
    cases = [
        (WELCOME | {"name": "../etc"}, ["body", "name"]),
        (WELCOME | {"name": "x" * 129}, ["body", "name"]),
        (WELCOME | {"html": "x" * 64_001}, ["body", "html"]),
        (WELCOME | {"subject": "x" * 2001}, ["body", "subject"]),
        ({"name": "empty", "subject": "Hi"}, ["body"]),
        (WELCOME | {"footer": "x"}, ["body", "footer"]),
    ]
    for body, loc in cases:
        response = await client.post("/api/templates", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["details"][0]["loc"] == loc
    empty = await client.post("/api/templates", json={"name": "empty", "subject": "Hi"})
    assert "a template needs text, html or both" in empty.text


async def test_preview_renders_unsaved_parts_over_sample_data_and_stores_nothing(
    app_resources: tuple[httpx.AsyncClient, Resources],
) -> None:
    client, resources = app_resources
    viewer = await headers(resources, "acme", Role.VIEWER)
    body = WELCOME | {
        "html": "<p>Hi {{ user_name }}</p>",
        "data": {"user_name": "<b>Ada</b>", "signup_date": "today"},
    }
    del body["name"]
    response = await client.post("/api/templates/preview", json=body, headers=viewer)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "subject": "Welcome, <b>Ada</b>!",
        "text": "Hi <b>Ada</b>,\n\nthanks for joining on today.",
        "html": "<p>Hi &lt;b&gt;Ada&lt;/b&gt;</p>",
    }
    assert (await client.get("/api/templates", headers=viewer)).json()["items"] == []


async def test_a_previews_missing_name_is_said_of_the_part_and_the_sample_data(
    client: httpx.AsyncClient,
) -> None:
    """It said "message template 'preview' subject: ... is not in the event": no template is
    named preview, and no event is there, only the sample data the person is editing."""
    body = {"subject": "Hi {{ user.name }}", "text": "ok", "data": {"user": {"id": "u1"}}}
    failing = await client.post("/api/templates/preview", json=body)
    assert failing.status_code == 422, failing.text
    error = failing.json()["error"]
    reason = "user.name is not in the sample data; its user has id; use"
    assert error["message"].startswith(f"subject: {reason}")
    assert error["details"][0]["msg"].startswith(reason)
    assert error["details"][0]["loc"] == ["body", "subject"]


async def test_preview_names_the_part_that_fails(client: httpx.AsyncClient) -> None:
    broken = await client.post("/api/templates/preview", json={"text": "{{ x }", "data": {}})
    assert broken.status_code == 422
    assert broken.json()["error"]["details"][0]["loc"] == ["body", "text"]
    failing = await client.post(
        "/api/templates/preview", json={"subject": "{{ 1 / 0 }}", "text": "ok"}
    )
    assert failing.status_code == 422, failing.text
    assert failing.json()["error"]["details"][0]["loc"] == ["body", "subject"]
