"""The Studio is served by the API process: its pages, its files, and its security headers."""

from pathlib import Path

import httpx
import pytest

from app.settings import Settings

INDEX = '<!doctype html><div id="root"></div><script type="module" src="/studio/assets/app-1a2b.js"></script>'
SCRIPT = "console.log('studio')"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """A built Studio of two files, and a file beside it that must never be served."""
    build = tmp_path / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text(INDEX)
    (build / "assets" / "app-1a2b.js").write_text(SCRIPT)
    (tmp_path / "private.txt").write_text("not for the browser")
    return settings.model_copy(update={"studio_dir": build})


def _is_index(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.text == INDEX


async def test_the_root_sends_a_browser_to_the_studio(
    app_resources: tuple[httpx.AsyncClient, object],
) -> None:
    client, _ = app_resources
    for path in ("/", "/studio"):
        response = await client.get(path)
        assert response.status_code == 307
        assert response.headers["location"] == "/studio/"
    kept = await client.get("/studio", params={"tag": "emea"})
    assert kept.headers["location"] == "/studio/?tag=emea", "a reload keeps the list's filter"


@pytest.mark.parametrize(
    "path", ["/studio/", "/studio/wizard/", "/studio/workflows/orders.v2", "/studio/runs/run_1"]
)
async def test_every_page_of_the_app_is_its_index(
    app_resources: tuple[httpx.AsyncClient, object], path: str
) -> None:
    client, _ = app_resources
    response = await client.get(path)
    assert _is_index(response)
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


async def test_studio_responses_forbid_inline_and_foreign_scripts(
    app_resources: tuple[httpx.AsyncClient, object],
) -> None:
    client, _ = app_resources
    for path in ("/studio/", "/studio/assets/app-1a2b.js"):
        headers = (await client.get(path)).headers
        policy = dict(
            d.strip().split(" ", 1) for d in headers["content-security-policy"].split(";")
        )
        assert policy["script-src"] == "'self'"
        assert policy["connect-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert headers["x-content-type-options"] == "nosniff"


async def test_assets_are_served_as_files_and_cached_for_good(
    app_resources: tuple[httpx.AsyncClient, object],
) -> None:
    client, _ = app_resources
    response = await client.get("/studio/assets/app-1a2b.js")
    assert response.text == SCRIPT
    assert "javascript" in response.headers["content-type"]
    assert "immutable" in response.headers["cache-control"]

    missing = await client.get("/studio/assets/app-0000.js")
    assert missing.status_code == 404
    assert "reload" in missing.json()["error"]["message"]


async def test_no_file_outside_the_build_is_served(
    app_resources: tuple[httpx.AsyncClient, object],
) -> None:
    client, _ = app_resources
    for path in ("/studio/..%2Fprivate.txt", "/studio/%2E%2E/private.txt"):
        response = await client.get(path)
        assert "not for the browser" not in response.text


async def test_an_unbuilt_studio_says_how_to_build_it(
    app_resources: tuple[httpx.AsyncClient, object], settings: Settings
) -> None:
    client, _ = app_resources
    assert settings.studio_dir is not None
    (settings.studio_dir / "index.html").unlink()
    response = await client.get("/studio/")
    assert response.status_code == 503
    assert "make web" in response.text
    assert "make run" in response.text
