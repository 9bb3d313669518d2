"""Cross-site attacks on the workshop's sign-in, against a real `commonground serve`.

A page on another port of the same host is the same *site* as the workshop, so the browser
sends it the session cookie (SameSite=Strict does not stop that): it must still not be able
to change anything (a `no-cors` fetch, a `<form enctype="text/plain">`), nor sign a browser
in as someone else (login CSRF). The cookie holds a session, not the token, and no token
reaches the server's log. docs/reliability.md lists what each test guards.
"""

from __future__ import annotations

import httpx
import pytest

from graph.kit.connection import Database, fetch_all
from schema.vocabulary import Role
from tests.factories import make_caller
from tests.graph.test_votes import two_propositions
from tests.reliability.conftest import Server
from tests.signin import SIGN_IN, same_origin, session_cookie, sign_in

pytestmark = pytest.mark.slow

VOTES = "/api/v1/workshop/votes"
EVIDENCE = "MATCH (e:Evidence) RETURN count(e) AS n"
SESSIONS = "MATCH (s:WorkshopSession) RETURN s.member_id AS member_id"


def other_port(server: Server) -> str:
    """The origin of a page served from another port of the same host."""
    return f"http://127.0.0.1:{server.port + 1}"


def from_other_port(server: Server, **extra: str) -> dict[str, str]:
    """What a browser sends with a request made by a page on another port of this host."""
    return {"Origin": other_port(server), "Sec-Fetch-Site": "same-site", **extra}


async def test_a_page_on_another_port_cannot_reveal_a_vote_or_import_with_the_cookie(
    db: Database, shared_server: Server
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await make_caller(db, "design", Role.FACILITATOR)
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=60) as http:
        name, secret = await sign_in(http, facilitator.token)
        # On loopback the cookie is __Host- prefixed and holds a session, never the token.
        assert name == "__Host-cg_session" and secret.startswith("cgs_")
        assert secret != facilitator.token

        opened = await http.post(VOTES, json={"proposition_ids": [pain]}, headers=same_origin(http))
        assert opened.status_code == 201, opened.text
        vote_id = opened.json()["vote"]["id"]

        # fetch(url, {method: "POST", mode: "no-cors", credentials: "include"})
        reveal = await http.post(
            f"{VOTES}/{vote_id}/reveal", headers=from_other_port(shared_server)
        )
        assert reveal.status_code == 403 and reveal.json()["error"] == "FORBIDDEN"
        assert other_port(shared_server) in reveal.json()["message"]
        # <form method="post" enctype="text/plain" action=".../evidence:import">
        form = await http.post(
            "/api/v1/evidence:import?format=jsonl",
            content=b'{"text": "=cmd", "x": "',  # a text/plain form's name=value body
            headers=from_other_port(shared_server, **{"Content-Type": "text/plain"}),
        )
        assert form.status_code == 403
        # The same body from the workshop's own origin is refused for its type alone.
        typed = await http.post(
            "/api/v1/evidence:import?format=jsonl",
            content=b'{"text": "x"}\n',
            headers={**same_origin(http), "Content-Type": "text/plain"},
        )
        assert typed.status_code == 403 and "text/plain" in typed.json()["message"]

        still = await http.get(f"{VOTES}/{vote_id}")
        assert still.status_code == 200 and still.json()["vote"]["status"] == "open"
        assert (await db.read(fetch_all, EVIDENCE))[0]["n"] == 0

        # The workshop's own page still can.
        own = await http.post(f"{VOTES}/{vote_id}/reveal", headers=same_origin(http))
        assert own.status_code == 200, own.text


async def test_a_sign_in_link_from_someone_else_signs_nobody_in(
    db: Database, shared_server: Server
) -> None:
    attacker = await make_caller(db, "sales")
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=60) as http:
        link = await http.get("/workshop", params={"token": attacker.token})
        assert link.status_code == 200 and "set-cookie" not in link.headers
        assert f"Continue as {attacker.member.name}" in link.text  # who, before anything
        # The attacker's page auto-submits the confirmation form from its own origin.
        forged = await http.post(
            SIGN_IN, data={"token": attacker.token}, headers=from_other_port(shared_server)
        )
        assert forged.status_code == 403 and "set-cookie" not in forged.headers
        assert await db.read(fetch_all, SESSIONS) == []

        # Confirmed on the workshop's own page, the same link signs in.
        confirmed = await http.post(
            SIGN_IN, data={"token": attacker.token}, headers=same_origin(http)
        )
        assert confirmed.status_code == 303
        assert "Secure" in confirmed.headers["set-cookie"]
        assert session_cookie(confirmed)[0] == "__Host-cg_session"


async def test_no_token_reaches_the_server_log(db: Database, shared_server: Server) -> None:
    caller = await make_caller(db, "product")
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=60) as http:
        assert (await http.get("/workshop", params={"token": caller.token})).status_code == 200
        assert (await http.get(f"/workshop?signin=x&token={caller.token}")).status_code == 200
        await sign_in(http, caller.token)
        assert (await http.get("/api/v1/workshop/me", headers=caller.headers)).is_success
    log = shared_server.log_path.read_text(errors="replace")
    assert "/workshop?token=[redacted]" in log  # the access log is on, and scrubbed
    assert caller.token not in log
    assert caller.token.removeprefix("cg_")[:16] not in log
