"""The Studio, the web console built into web/dist, served at /studio/ by the API process.

A single-page app: a /studio/ path that is no file of the build is its index.html (the app's
router reads the path); hashed assets are cached for good. Every
Studio response carries a Content-Security-Policy that allows no inline or foreign script and
no request to another host. ``/`` sends a browser to the Studio.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from app.api.bodies import JsonRoute
from app.api.deps import ResourcesDep
from app.errors import NotFound

# web/dist of the source tree (app/ and web/ are siblings); images set AUTOMATOR_STUDIO_DIR.
SOURCE_BUILD = Path(__file__).resolve().parents[2] / "web" / "dist"
STUDIO = "/studio/"
# Vite puts the hashed scripts and styles here.
ASSETS = "assets/"

# Styles allow 'unsafe-inline': the canvas and editor libraries set inline styles; scripts
# allow nothing but the Studio's own files.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# index.html names the current hashed assets, so it is checked each time; assets never change.
REVALIDATE = {"Cache-Control": "no-cache"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Automator Studio is not built</title></head>
<body>
<h1>The Studio is not built yet</h1>
<p>The API is running, but the web console has not been built. From the source tree, run
<code>make web</code> (or <code>make run</code>, which builds it before starting); it needs
Node.js 20 or later and npm. A service started elsewhere serves the build found in
<code>AUTOMATOR_STUDIO_DIR</code>.</p>
<p>The API reference works meanwhile: <a href="/docs">/docs</a>.</p>
</body></html>
"""

router = APIRouter(include_in_schema=False, route_class=JsonRoute)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse(STUDIO, status_code=307)


@router.get("/studio")
async def studio_root(request: Request) -> RedirectResponse:
    # The app's own links to its first page read /studio?...: a reload keeps the query.
    query = request.url.query
    return RedirectResponse(STUDIO + (f"?{query}" if query else ""), status_code=307)


@router.get(STUDIO + "{path:path}")
async def studio(path: str, resources: ResourcesDep) -> Response:
    """A file of the build, or the app's index.html for any other path (a page of the app:
    ids may hold dots, so an extension does not tell). A missing asset is a 404, never HTML."""
    build = (resources.settings.studio_dir or SOURCE_BUILD).resolve()
    index = build / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers=SECURITY_HEADERS)
    file = (build / path).resolve()
    if file.is_relative_to(build) and file.is_file():
        return FileResponse(file, headers=SECURITY_HEADERS | _caching(path))
    if path.startswith(ASSETS):
        raise NotFound(f"The Studio has no file {path!r}: reload the page for the current build.")
    return FileResponse(index, headers=SECURITY_HEADERS | REVALIDATE)


def _caching(path: str) -> dict[str, str]:
    return IMMUTABLE if path.startswith(ASSETS) else REVALIDATE
