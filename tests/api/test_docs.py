"""/docs and /redoc work offline: every script, style and icon they load is served here."""

import re

import httpx
import pytest

ASSET_REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:(]\s*['"]?([^'")\s>]+)""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_reference_pages_load_everything_from_this_service(
    app_resources: tuple[httpx.AsyncClient, object], page: str
) -> None:
    client, _ = app_resources
    html = (await client.get(page)).text

    references = ASSET_REFERENCE.findall(html)
    assert references
    assert "://" not in html  # no host named at all
    for reference in references:
        assert reference.startswith("/"), reference
        if reference.startswith("/docs/assets/"):
            assert (await client.get(reference)).status_code == 200, reference


async def test_swagger_ui_assets_are_the_real_bundle(
    app_resources: tuple[httpx.AsyncClient, object],
) -> None:
    client, _ = app_resources
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
    assert (await client.get("/docs/assets/secrets.key")).status_code == 404
