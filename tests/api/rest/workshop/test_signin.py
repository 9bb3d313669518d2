"""Signing in to the workshop: a link only asks, the confirmation opens a server-side session,
and the session ends with sign-out, revocation or deactivation (through the ASGI app)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j.exceptions import ServiceUnavailable

from graph import members
from graph.kit.connection import Database, fetch_all
from schema.models import Actor
from schema.sessions import SESSION_LIFETIME_S
from schema.settings import Settings
from tests.api.apphelpers import CountingDatabase, app_client
from tests.api.rest.workshop.helpers import API
from tests.factories import make_caller
from tests.signin import SIGN_IN, let_cache_check_pass, same_origin, session_cookie, sign_in

SESSIONS = "MATCH (s:WorkshopSession) RETURN s.hash AS hash, s.member_id AS member_id"


async def test_a_sign_in_link_sets_nothing_until_the_person_confirms(
    client: httpx.AsyncClient, db: Database
) -> None:
    caller = await make_caller(db, "sales")
    link = await client.get("/workshop", params={"token": caller.token})
    assert link.status_code == 200 and link.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in link.headers
    assert caller.member.name in link.text
    assert 'id="confirm-sign-in"' in link.text and f"Continue as {caller.member.name}" in link.text
    assert 'action="/workshop/sign-in"' in link.text
    assert "frame-ancestors 'none'" in link.headers["content-security-policy"]
    assert link.headers["cache-control"] == "no-store"
    # Not "no-referrer": the browser would then post the confirmation with `Origin: null`.
    assert link.headers["referrer-policy"] == "strict-origin"
    assert await db.read(fetch_all, SESSIONS) == []

    confirmed = await client.post(
        SIGN_IN, data={"token": caller.token}, headers=same_origin(client)
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/workshop"
    cookie = confirmed.headers["set-cookie"]
    name, secret = session_cookie(confirmed)
    assert name == "cg_session"  # plain HTTP on a non-loopback host: no __Host- prefix
    assert caller.token not in cookie and secret.startswith("cgs_")
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert "Domain" not in cookie and "Path=/" in cookie
    assert f"Max-Age={SESSION_LIFETIME_S}" in cookie
    stored = await db.read(fetch_all, SESSIONS)
    assert [s["member_id"] for s in stored] == [caller.member.id]
    assert secret not in str(stored)  # only its hash is kept

    client.cookies.set(name, secret)
    me = await client.get(f"{API}/me")
    assert me.status_code == 200 and me.json()["member"]["name"] == caller.member.name
    assert me.json()["can_vote"] is True and me.json()["can_facilitate"] is False


async def test_signing_in_refuses_other_sites_and_dead_tokens(
    client: httpx.AsyncClient, db: Database
) -> None:
    caller = await make_caller(db, "product")
    form = {"token": caller.token}
    elsewhere = await client.post(SIGN_IN, data=form, headers={"Origin": "http://test:9999"})
    assert elsewhere.status_code == 403 and "set-cookie" not in elsewhere.headers
    assert elsewhere.json()["error"] == "FORBIDDEN"
    assert "test:9999" in elsewhere.json()["message"]
    no_origin = await client.post(SIGN_IN, data=form)
    assert no_origin.status_code == 403 and "set-cookie" not in no_origin.headers
    same_site = await client.post(SIGN_IN, data=form, headers={"Sec-Fetch-Site": "same-site"})
    assert same_site.status_code == 403
    assert await db.read(fetch_all, SESSIONS) == []

    fetched = await client.post(SIGN_IN, json=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert fetched.status_code == 303 and "set-cookie" in fetched.headers

    bad = {"token": "cg_not-a-token"}
    form_bad = await client.post(SIGN_IN, data=bad, headers=same_origin(client))
    assert form_bad.status_code == 303
    assert form_bad.headers["location"] == "/workshop?signin=invalid"
    assert "set-cookie" not in form_bad.headers
    json_bad = await client.post(SIGN_IN, json=bad, headers=same_origin(client))
    assert json_bad.status_code == 401 and "set-cookie" not in json_bad.headers
    empty = await client.post(SIGN_IN, json={}, headers=same_origin(client))
    assert empty.status_code == 400 and "token" in empty.json()["message"]
    link = await client.get("/workshop", params={"token": "cg_not-a-token"})
    assert link.status_code == 303 and link.headers["location"] == "/workshop?signin=invalid"


async def test_the_cookie_is_no_token_and_its_session_ends_on_the_server(
    client: httpx.AsyncClient, db: Database
) -> None:
    caller = await make_caller(db, "design")
    name, secret = await sign_in(client, caller.token)
    assert (await client.get(f"{API}/me")).status_code == 200
    # The raw token in the cookie (as it was once set) authenticates nothing.
    raw = await client.get(f"{API}/me", headers={"Cookie": f"{name}={caller.token}"})
    assert raw.status_code == 401

    out = await client.post(f"{API}/signout", headers=same_origin(client))
    assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
    assert await db.read(fetch_all, SESSIONS) == []
    # A copy of the cookie kept from before signing out is dead too.
    replayed = await client.get(f"{API}/me", headers={"Cookie": f"{name}={secret}"})
    assert replayed.status_code == 401

    for end in ("revoke", "deactivate"):
        other = await make_caller(db, "design")
        other_name, other_secret = await sign_in(client, other.token)
        me = await client.get(f"{API}/me", headers={"Cookie": f"{other_name}={other_secret}"})
        assert me.status_code == 200
        now = datetime.now(UTC)
        if end == "revoke":
            [token_id] = [
                r["id"]
                for r in await db.read(
                    fetch_all,
                    "MATCH (t:ApiToken {member_id: $m}) RETURN t.id AS id",
                    m=other.member.id,
                )
            ]
            await db.write(members.revoke_token, Actor.system(), token_id, now)
        else:
            await db.write(members.deactivate, Actor.system(), other.member.id, now)
        let_cache_check_pass(db)  # as another replica would, a version check later
        gone = await client.get(f"{API}/me", headers={"Cookie": f"{other_name}={other_secret}"})
        assert gone.status_code == 401, end
        assert 'error="invalid_token"' in gone.headers["www-authenticate"]


ORIGINS = st.sampled_from(
    ["http://test", "http://test:9999", "null", "https://test", "http://TEST:80", "", "%zz"]
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/json; charset=utf-8",
        "",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    origin=ORIGINS,
    fetch_site=st.sampled_from([None, "same-origin", "same-site", "cross-site", "none"]),
    content_type=CONTENT_TYPES,
    body=st.one_of(
        st.binary(max_size=300),
        st.builds(lambda t: orjson.dumps({"token": t}), st.text(max_size=80)),
        st.builds(lambda t: f"token={t}".encode(), st.text(max_size=80)),
    ),
)
async def test_hostile_sign_ins_and_cookie_writes_are_refused_cleanly(
    client: httpx.AsyncClient,
    origin: str,
    fetch_site: str | None,
    content_type: str,
    body: bytes,
) -> None:
    headers = {"Content-Type": content_type, "Origin": origin}
    if fetch_site is not None:
        headers["Sec-Fetch-Site"] = fetch_site
    if not origin:
        del headers["Origin"]
    signed = await client.post(SIGN_IN, content=body, headers=headers)
    assert signed.status_code in (303, 400, 401, 403), signed.text
    assert "set-cookie" not in signed.headers  # no token here is a real one
    written = await client.post(
        "/graphql", content=body, headers={**headers, "Cookie": "cg_session=cgs_forged"}
    )
    assert written.status_code < 500, written.text
    from_elsewhere = origin not in ("http://test", "http://TEST:80") and not (
        not origin and fetch_site == "same-origin"
    )
    if from_elsewhere:
        assert written.status_code == 403


class _Unreachable(CountingDatabase):
    """Once ``away``, every read fails as an unreachable database does."""

    away = False

    async def read_after(self, bookmarks: list[str] | None, work: Any, *a: Any, **k: Any) -> Any:
        if self.away:
            raise ServiceUnavailable("Couldn't connect to 127.0.0.1:7687")
        return await super().read_after(bookmarks, work, *a, **k)


async def test_a_sign_in_link_while_the_database_is_away_says_so_and_sets_nothing(
    db: Database, app_settings: Settings
) -> None:
    caller = await make_caller(db, "success")
    unreachable = _Unreachable(db)
    async with app_client(app_settings, unreachable) as http:
        unreachable.away = True
        link = await http.get("/workshop", params={"token": caller.token})
    assert link.status_code == 503 and link.headers["retry-after"]
    assert "set-cookie" not in link.headers and "Reload this page" in link.text
