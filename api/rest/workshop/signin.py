"""Signing in to the workshop and out again (docs/api.md "Signing in to the workshop").

``GET /workshop?token=T`` sets nothing: it answers a page that names the member the token
belongs to, with a button ``#confirm-sign-in`` ("Continue as NAME"). The button posts the
token to ``POST /workshop/sign-in`` (a form, or JSON ``{"token": T}``), which must come from
this site's own pages (its Origin); it opens a server-side session, sets the session cookie
and redirects to ``/workshop``. So a link from someone else can never sign a browser in
behind its owner's back (login CSRF), and the cookie never holds the token.
``POST /api/v1/workshop/signout`` ends the session on the server and clears the cookie.
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from api.auth import (
    Credential,
    authenticate,
    clear_session_cookie,
    credential_from_request,
    member_cache,
    set_session_cookie,
)
from api.cross_site import SIGN_IN_PATH, same_origin_problem
from api.dependencies import get_database
from graph import sessions
from graph.kit.connection import Database
from schema.models import Actor
from schema.sessions import CrossSiteRequestRefused, SignInBodyInvalid, SignInRefused

router = APIRouter(tags=["workshop"])

SIGN_IN_FAILED = "/workshop?signin=invalid"
MAX_BODY_BYTES = 4096
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# The confirmation page runs no script at all; its one form may post only here. Its referrer
# policy keeps the address (with the token) to itself but lets the browser name the origin:
# under "no-referrer" a form's POST would say `Origin: null` and be refused.
CONFIRM_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "strict-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
DATABASE_ERRORS = (ServiceUnavailable, SessionExpired, OSError)


def _page(body: str, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="strict-origin">\n<link rel="icon" href="data:,">\n'
        "<title>Sign in — Common Ground workshop</title>\n"
        '<link rel="stylesheet" href="/workshop/assets/workshop.css">\n</head>\n<body>\n'
        '<div id="app"><main class="signin">\n<h1>Common Ground workshop</h1>\n'
        f"{body}\n</main></div>\n</body>\n</html>\n"
    )
    return HTMLResponse(text, status_code, headers={**CONFIRM_HEADERS, **(headers or {})})


def _who(actor: Actor) -> str:
    function = f"{actor.function}, " if actor.function else ""
    return f"<strong>{html.escape(actor.name)}</strong> ({html.escape(function)}{actor.role.value})"


def _ready_database(request: Request) -> Database | None:
    db: Database | None = getattr(request.app.state, "db", None)
    return db if db is not None and request.app.state.ready else None


def _unavailable() -> Response:
    return _page(
        '<p class="problem" role="alert">The server cannot check sign-in links right now '
        "(its database is starting or unreachable). Reload this page in a moment.</p>",
        503,
        {"Retry-After": "5"},
    )


async def confirm_page(request: Request, token: str) -> Response:
    """``GET /workshop?token=T``: who the link signs in as, and a button to continue."""
    token = token.strip()
    if not token:
        return RedirectResponse(SIGN_IN_FAILED, status_code=303, headers=NO_STORE)
    db = _ready_database(request)
    if db is None:
        return _unavailable()
    try:
        actor = await authenticate(db, Credential("token", token))
        current = credential_from_request(request)
        signed_in = await authenticate(db, current) if current and current.by_cookie else None
    except DATABASE_ERRORS:
        return _unavailable()
    if actor is None:
        return RedirectResponse(SIGN_IN_FAILED, status_code=303, headers=NO_STORE)
    already = ""
    if signed_in is not None and signed_in.member_id != actor.member_id:
        already = (
            f'<p class="notice" role="status">This browser is signed in as {_who(signed_in)} '
            "now; continuing signs that out here.</p>\n"
        )
    name = html.escape(actor.name)
    return _page(
        f"<p>This link signs you in as {_who(actor)}.</p>\n{already}"
        f'<form method="post" action="{SIGN_IN_PATH}">\n'
        f'<input type="hidden" name="token" value="{html.escape(token)}">\n'
        f'<button type="submit" id="confirm-sign-in">Continue as {name}</button>\n</form>\n'
        '<p class="muted">Not you, or you did not expect this link? Do not continue: '
        '<a href="/workshop">leave without signing in</a>.</p>'
    )


async def _token_from_body(request: Request) -> tuple[str, bool]:
    """(the token sent, whether the caller speaks JSON)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise SignInBodyInvalid()
    token: Any = None
    if content_type == "application/json":
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise SignInBodyInvalid() from None
        token = parsed.get("token") if isinstance(parsed, dict) else None
        as_json = True
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_files=0, max_fields=10)
        token = form.get("token")
        as_json = False
    else:
        raise SignInBodyInvalid()
    if not isinstance(token, str) or not token.strip():
        raise SignInBodyInvalid()
    return token.strip(), as_json


@router.post(
    SIGN_IN_PATH,
    status_code=303,
    summary="Sign in to the workshop: open a session and set its cookie",
    description=(
        "Sent by the button of the page `GET /workshop?token=T` shows (a form field `token`, "
        'or JSON `{"token": T}`). The request must come from this site\'s own pages '
        "(`Origin`, or `Sec-Fetch-Site: same-origin`). On success: a session cookie "
        "(HttpOnly, SameSite=Strict, host-only; `__Host-` and Secure over HTTPS and on "
        "loopback) and a redirect to `/workshop`."
    ),
    responses={
        303: {"description": "Signed in (or, for a form, back to the page saying why not)"},
        400: {"description": "No token in the body"},
        401: {"description": "JSON: the token is unknown, revoked or expired"},
        403: {"description": "Not sent from this site's own pages"},
    },
)
async def sign_in(request: Request) -> Response:
    problem = same_origin_problem(request)
    if problem is not None:
        raise CrossSiteRequestRefused(problem)
    token, as_json = await _token_from_body(request)
    db = get_database(request)
    now = datetime.now(UTC)
    secret = sessions.new_secret()
    opened = await db.write(sessions.open_session, token, secret, now)
    if opened is None:
        if as_json:
            raise SignInRefused()
        return RedirectResponse(SIGN_IN_FAILED, status_code=303, headers=NO_STORE)
    _, expires_at = opened
    previous = credential_from_request(request)
    if previous is not None and previous.by_cookie:
        await db.write(sessions.end_session, previous.secret)
        member_cache(db).clear()
    response = RedirectResponse("/workshop", status_code=303, headers=NO_STORE)
    max_age_s = max(1, math.floor((expires_at - now).total_seconds()))
    set_session_cookie(response, request, secret, max_age_s)
    return response


@router.post(
    "/api/v1/workshop/signout",
    status_code=204,
    summary="Sign out: end the workshop session on the server and clear its cookie",
)
async def sign_out(request: Request) -> Response:
    credential = credential_from_request(request)
    if credential is not None and credential.by_cookie:
        db = get_database(request)
        await db.write(sessions.end_session, credential.secret)
        member_cache(db).clear()  # this process forgets it now; the others within a second
    response = Response(status_code=204, headers=NO_STORE)
    clear_session_cookie(response, request)
    return response
