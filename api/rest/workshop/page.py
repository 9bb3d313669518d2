"""The workshop page's shell and static files, and who is calling.

The page shell and its static files are public; ``/workshop?token=T`` answers the sign-in
confirmation instead (``signin.py``, which also serves signing in and out). Everything under
``/api/v1/workshop`` needs a token or the session cookie: ``WorkshopActor`` is that check.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse

import web
from api.auth import authenticate, token_from_request
from api.dependencies import DatabaseDep
from api.rest.workshop import signin
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
    summary="The workshop page (public); ?token=T asks to confirm signing in",
    responses={303: {"description": "A sign-in link that did not work: back to the page"}},
)
async def workshop_page(
    request: Request,
    token: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    if token is not None:
        return await signin.confirm_page(request, token)
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=PAGE_HEADERS)


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
