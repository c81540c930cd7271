"""The API's reference pages, Swagger UI at /docs and ReDoc at /redoc, working offline.

Their scripts and styles are served by the service itself, from the copies of swagger-ui-dist
and redoc that the fastapi-offline package ships (FastAPI's defaults load them from a CDN,
and the pages were blank without internet); ReDoc's Google fonts are left out.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from app.api.bodies import JsonRoute
from app.errors import NotFound

ASSETS = Path(str(files("fastapi_offline") / "static"))
ASSET_NAMES = frozenset(path.name for path in ASSETS.iterdir() if path.is_file())
ASSET_URL = "/docs/assets"
TITLE = "Automator API"

router = APIRouter(include_in_schema=False, route_class=JsonRoute)


def _openapi_url(request: Request) -> str:
    return request.app.openapi_url or "/openapi.json"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=TITLE,
        swagger_js_url=f"{ASSET_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSET_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSET_URL}/favicon.png",
        # Swagger UI would otherwise send the document to an online validator.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=_openapi_url(request),
        title=TITLE,
        redoc_js_url=f"{ASSET_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSET_URL}/favicon.png",
        with_google_fonts=False,
    )


@router.get(ASSET_URL + "/{name}")
async def asset(name: str) -> FileResponse:
    if name not in ASSET_NAMES:
        raise NotFound(f"No documentation asset named {name!r}.")
    return FileResponse(
        ASSETS / name,
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
