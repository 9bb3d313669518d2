"""The API's pages for people: GraphiQL on GET /graphql and Swagger UI on /docs.

Both load only files this server serves: pinned npm packages committed under web/vendor/
(web/vendor/fetch.py made them, licences beside them), so they work with no network and no
install step. The files are served at /static/vendor/<package>@<version>/<file>: a new
version is a new address, so browsers may keep each file for a year.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

import web

VENDOR_DIR = Path(web.__file__).resolve().parent / "vendor"
GRAPHIQL_PAGE = Path(web.__file__).resolve().parent / "graphiql.html"
VENDOR_URL = "/static/vendor"
DOCS_URL = "/docs"

REACT_JS = "react@18.2.0/react.production.min.js"
REACT_DOM_JS = "react-dom@18.2.0/react-dom.production.min.js"
GRAPHIQL_JS = "graphiql@3.8.3/graphiql.min.js"
GRAPHIQL_CSS = "graphiql@3.8.3/graphiql.min.css"
SWAGGER_JS = "swagger-ui-dist@5.35.0/swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui-dist@5.35.0/swagger-ui.css"
SWAGGER_ICON = "swagger-ui-dist@5.35.0/favicon-32x32.png"

_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
# Only these files are served: never the refill script, never a path built from the URL.
ASSETS: dict[str, Path] = {
    path.relative_to(VENDOR_DIR).as_posix(): path
    for path in sorted(VENDOR_DIR.glob("*@*/*"))
    if path.suffix in _MEDIA_TYPES
}
ASSET_HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
}
PAGE_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


def vendored(name: str) -> str:
    """The URL of one vendored file; a name missing from web/vendor/ is a bug, said as such."""
    if name not in ASSETS:
        raise LookupError(f"web/vendor/ has no {name}: run web/vendor/fetch.py")
    return f"{VENDOR_URL}/{name}"


def graphiql_page() -> HTMLResponse:
    """GraphiQL, sending its operations to /graphql, with the headers editor for the token."""
    page = GRAPHIQL_PAGE.read_text(encoding="utf-8")
    for placeholder, name in (
        ("{{react_js}}", REACT_JS),
        ("{{react_dom_js}}", REACT_DOM_JS),
        ("{{graphiql_js}}", GRAPHIQL_JS),
        ("{{graphiql_css}}", GRAPHIQL_CSS),
    ):
        page = page.replace(placeholder, vendored(name))
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get(f"{VENDOR_URL}/{{package}}/{{name}}")
async def vendored_file(package: str, name: str) -> FileResponse:
    path = ASSETS.get(f"{package}/{name}")
    if path is None:
        raise HTTPException(404, f"no vendored file {package}/{name}")
    return FileResponse(path, media_type=_MEDIA_TYPES[path.suffix], headers=ASSET_HEADERS)


@router.get(DOCS_URL)
async def swagger_ui(request: Request) -> HTMLResponse:
    """The OpenAPI description as a page, public like /openapi.json."""
    app = request.app
    response = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=f"{app.title} · REST API",
        swagger_js_url=vendored(SWAGGER_JS),
        swagger_css_url=vendored(SWAGGER_CSS),
        swagger_favicon_url=vendored(SWAGGER_ICON),
        # No validator badge: it would send the description to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},  # merged with FastAPI's defaults
    )
    response.headers.update(PAGE_HEADERS)
    return response
