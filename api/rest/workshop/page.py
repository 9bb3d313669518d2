"""The workshop page's shell and static files, signing in and out, and who is calling.

The page shell and its static files are public; ``/workshop?token=T`` signs in by setting an
HttpOnly, SameSite=Strict cookie and redirecting to the bare URL, so the token leaves the
address bar and history. Everything under ``/api/v1/workshop`` needs a token (header or that
cookie): ``WorkshopActor`` is that check.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from neo4j.exceptions import ServiceUnavailable, SessionExpired

import web
from api.auth import SESSION_COOKIE, authenticate, token_from_request
from api.dependencies import DatabaseDep
from graph.kit.connection import Database
from schema.models import Actor

router = APIRouter(tags=["workshop"])

WEB_DIR = Path(web.__file__).resolve().parent
PAGE = WEB_DIR / "workshop.html"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Only these files are served: never the package's Python files or caches. The map's graph
# library is vendored at a pinned version (web/vendor/fetch.py says how and keeps its licence).
VENDORED = {"cytoscape.min.js": WEB_DIR / "vendor" / "cytoscape@3.35.0" / "cytoscape.min.js"}
ASSETS: dict[str, Path] = {
    p.name: p
    for p in sorted(WEB_DIR.iterdir())
    if p.suffix in _MEDIA_TYPES and not p.name.startswith(".")
} | VENDORED

# No CDN, no inline script or style: everything the page loads comes from this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
SESSION_MAX_AGE_S = 12 * 3600

HOW_TO_SIGN_IN = (
    "ask a facilitator or an admin for a token (they run: commonground token create "
    '"Your Name"), then open /workshop?token=<token>'
)
NO_TOKEN = "You are not signed in: " + HOW_TO_SIGN_IN
BAD_TOKEN = (
    "Your token is no longer valid (expired, revoked, or the member was deactivated): "
    + HOW_TO_SIGN_IN
)


# --- who is calling -----------------------------------------------------------------------


async def workshop_actor(request: Request, db: DatabaseDep) -> Actor:
    token = token_from_request(request)
    if not token:
        raise HTTPException(401, NO_TOKEN, headers={"WWW-Authenticate": "Bearer"})
    actor = await authenticate(db, token)
    if actor is None:
        # RFC 6750: the page tells "not signed in" from "signed in with a dead token" by this.
        raise HTTPException(
            401, BAD_TOKEN, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    return actor


WorkshopActor = Annotated[Actor, Depends(workshop_actor)]


# --- the page -------------------------------------------------------------------------------


@router.get(
    "/workshop",
    response_class=HTMLResponse,
    summary="The workshop page (public); ?token=T signs in with an HttpOnly cookie",
    responses={303: {"description": "Signed in (or not): redirect to the bare page URL"}},
)
async def workshop_page(
    request: Request,
    token: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    if token is not None:
        return await _sign_in(request, token.strip())
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=PAGE_HEADERS)


async def _sign_in(request: Request, token: str) -> Response:
    db: Database | None = getattr(request.app.state, "db", None)
    valid: bool | None = None  # None: the database cannot tell right now
    if db is not None and request.app.state.ready and token:
        try:
            valid = await authenticate(db, token) is not None
        except (ServiceUnavailable, SessionExpired, OSError):
            valid = None
    elif not token:
        valid = False
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if valid is False:
        return RedirectResponse("/workshop?signin=invalid", status_code=303, headers=headers)
    response = RedirectResponse("/workshop", status_code=303, headers=headers)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/workshop/assets/{name}", summary="The workshop page's scripts and styles (public)")
async def workshop_asset(name: str, request: Request) -> Response:
    path = ASSETS.get(name)
    if path is None:
        raise HTTPException(404, f"no asset {name!r}")
    body, packed = _asset_bytes(path)
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        # A phone on the office Wi-Fi fetches the map library in a third of the bytes.
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type=_MEDIA_TYPES[path.suffix], headers=headers)
    return Response(body, media_type=_MEDIA_TYPES[path.suffix], headers=headers)


_PACKED: dict[Path, tuple[float, bytes, bytes]] = {}


def _asset_bytes(path: Path) -> tuple[bytes, bytes]:
    """The file and its gzip form, compressed once per change of the file."""
    stamp = path.stat().st_mtime
    cached = _PACKED.get(path)
    if cached is None or cached[0] != stamp:
        body = path.read_bytes()
        cached = (stamp, body, gzip.compress(body, compresslevel=6, mtime=0))
        _PACKED[path] = cached
    return cached[1], cached[2]


@router.post(
    "/api/v1/workshop/signout", status_code=204, summary="Forget the workshop's sign-in cookie"
)
async def sign_out() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
