"""Cross-site safety for the workshop's cookie (docs/api.md "Signing in to the workshop").

A browser sends the session cookie with any request to this host, whichever page made it
(another port of the same host counts as the same *site*, so SameSite=Strict does not stop
it). So a request that changes anything (any method but GET, HEAD and OPTIONS) and is
authenticated by the cookie must show it came from this site's own pages:

- its ``Origin`` equals the public origin (``COMMONGROUND_PUBLIC_URL``, else the request's
  scheme and ``Host``, or a proxy's ``X-Forwarded-Proto``/``X-Forwarded-Host``), or it has no
  ``Origin`` and says ``Sec-Fetch-Site: same-origin``;
- its body is JSON, multipart or empty: never ``text/plain`` or URL-encoded, the bodies a
  ``<form>`` or a ``no-cors`` fetch on another site sends without asking the server first.

Bearer-token requests (tools, the CLI) are not affected: a browser never adds that header
on another site's behalf. The same Origin rule guards ``POST /workshop/sign-in``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.auth import SESSION_COOKIES, bearer_token
from api.origins import normalise_origin, public_origins
from schema.sessions import CrossSiteRequestRefused

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Signing in sends a form and checks its Origin itself (it needs no cookie to be safe).
SIGN_IN_PATH = "/workshop/sign-in"
BODY_TYPES = ("application/json", "multipart/form-data")


def same_origin_problem(connection: HTTPConnection) -> str | None:
    """Why this request cannot be taken as coming from this site's own pages, or None."""
    origin = connection.headers.get("origin")
    if origin is None:
        fetch_site = connection.headers.get("sec-fetch-site")
        if fetch_site == "same-origin":
            return None
        if fetch_site:
            return f"it was sent from another site (Sec-Fetch-Site: {fetch_site})"
        return "it carries no Origin header"
    if normalise_origin(origin) in public_origins(connection):
        return None
    return f"it was sent from a page at {origin[:100]!r}, not this site"


def body_problem(connection: HTTPConnection) -> str | None:
    """Why this request's body may have come from a form or a no-cors fetch, or None."""
    headers = connection.headers
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in BODY_TYPES or content_type.endswith("+json"):
        return None
    empty = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
    if empty:
        return None
    return f"its body is {content_type or 'untyped'}: send JSON or multipart/form-data"


def cookie_write_problem(connection: HTTPConnection) -> str | None:
    """For a change authenticated by the session cookie: why it is refused, or None."""
    if connection.scope.get("method", "GET") in SAFE_METHODS or bearer_token(connection):
        return None
    if connection.scope.get("path") == SIGN_IN_PATH:
        return None
    if not any(name in connection.cookies for name in SESSION_COOKIES):
        return None
    return same_origin_problem(connection) or body_problem(connection)


class CookieWriteGuard:
    """ASGI middleware refusing, with 403, changes made by the cookie from elsewhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = cookie_write_problem(HTTPConnection(scope))
            if problem is not None:
                refused = CrossSiteRequestRefused(problem)
                response = errors.error_response(
                    refused.http_status,
                    refused.message,
                    {"reason": problem},
                    code=refused.code,
                    headers={"Vary": "Origin"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    """Refuse cross-site changes made with the cookie; the public URL must parse."""
    public_url = app.state.settings.public_url
    if public_url and normalise_origin(public_url) is None:
        raise ValueError(
            f"COMMONGROUND_PUBLIC_URL must be an http(s) address, like "
            f"https://commonground.example.com (got {public_url!r})"
        )
    app.add_middleware(CookieWriteGuard)
