"""Signing in to the workshop from a test, as the page's confirmation button does.

``GET /workshop?token=T`` only shows who the link signs in as; the button ``#confirm-sign-in``
posts the token to ``POST /workshop/sign-in`` from the server's own origin, which sets the
session cookie. Changes made with that cookie must carry the same ``Origin``
(``same_origin(http)``) and a JSON, multipart or empty body.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import httpx

from api.auth import member_cache
from graph.kit.connection import Database
from schema.sessions import MEMBER_CACHE_CHECK_S

SIGN_IN = "/workshop/sign-in"


def origin_of(http: httpx.AsyncClient | httpx.Client) -> str:
    """The origin of the client's base URL (``http://127.0.0.1:8123``)."""
    url = http.base_url
    default = {"http": 80, "https": 443}[url.scheme]
    port = "" if url.port in (None, default) else f":{url.port}"
    return f"{url.scheme}://{url.host}{port}"


def same_origin(http: httpx.AsyncClient | httpx.Client) -> dict[str, str]:
    """The header a browser adds to a change sent by the server's own page."""
    return {"Origin": origin_of(http)}


def session_cookie(response: httpx.Response) -> tuple[str, str]:
    """(name, value) of the session cookie a sign-in answer sets."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    [(name, morsel)] = jar.items()
    return name, morsel.value


async def sign_in(http: httpx.AsyncClient, token: str) -> tuple[str, str]:
    """Sign in on ``http`` (its cookie jar keeps the session); return the cookie (name,
    value). The cookie is put in the jar by hand: over plain HTTP on 127.0.0.1 it is
    ``__Host-`` and Secure (browsers send it on loopback; httpx would not)."""
    response = await http.post(SIGN_IN, data={"token": token}, headers=same_origin(http))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/workshop"
    name, value = session_cookie(response)
    http.cookies.set(name, value)
    return name, value


def let_cache_check_pass(db: Database) -> None:
    """Move the token cache of ``db``'s process past one members-version check, as if that
    time had passed (no sleep): its next lookup reads the version again."""
    cache = member_cache(db)
    previous = cache.clock
    cache.clock = lambda: previous() + MEMBER_CACHE_CHECK_S + 0.5
