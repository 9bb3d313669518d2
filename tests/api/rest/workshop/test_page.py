"""The workshop page's shell and its assets, through the ASGI app on a real Neo4j (signing in:
test_signin.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from api.rest.workshop.page import ASSETS
from graph import members
from graph.kit.connection import Database
from schema.models import Actor
from tests.api.rest.workshop.helpers import API
from tests.factories import make_caller


async def test_the_page_shell_and_its_assets_are_public_and_self_contained(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/workshop")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "/workshop/assets/workshop.js" in page.text
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # no CDN
    script = await client.get("/workshop/assets/workshop.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert {
        "workshop.js",
        "workshop.css",
        "graph.js",
        "vote.js",
        "actions.js",
        "divergences.js",
        "learning.js",
    } <= set(ASSETS)
    # The map's graph library: served from here (pinned, its licence beside it), compressed.
    library = await client.get("/workshop/assets/cytoscape.min.js")
    assert library.status_code == 200 and library.headers["content-encoding"] == "gzip"
    assert "/workshop/assets/cytoscape.min.js" in page.text
    assert (ASSETS["cytoscape.min.js"].parent / "LICENSE").read_text().startswith("Copyright")
    for name in ASSETS:
        asset = await client.get(f"/workshop/assets/{name}")
        assert asset.status_code == 200, name
        # Everything loads from this server: relative module imports, no remote URL or @import.
        imports = re.findall(r"""^import .* from "([^"]+)";""", asset.text, re.MULTILINE)
        assert all(target.startswith("./") for target in imports), (name, imports)
        assert all(target[2:] in ASSETS for target in imports), (name, imports)  # all served
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", asset.text), name
    cached = await client.get(
        "/workshop/assets/workshop.js", headers={"If-None-Match": script.headers["etag"]}
    )
    assert cached.status_code == 304
    assert (await client.get("/workshop/assets/__init__.py")).status_code == 404
    assert (await client.get("/workshop/assets/..%2Fapi%2Fapp.py")).status_code == 404


async def test_the_data_needs_a_token_and_says_how_to_get_one(
    client: httpx.AsyncClient, db: Database
) -> None:
    anonymous = await client.get(f"{API}/segments")
    assert anonymous.status_code == 401
    assert "commonground token create" in anonymous.json()["detail"]
    caller = await make_caller(db, "product")
    await db.write(members.deactivate, Actor.system(), caller.member.id, datetime.now(UTC))
    revoked = await client.get(f"{API}/segments", headers=caller.headers)
    assert revoked.status_code == 401 and "no longer valid" in revoked.json()["detail"]
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]
    assert (await client.get(f"{API}/events")).status_code == 401
    caller_ok = await make_caller(db, "sales")
    plain = await client.get(f"{API}/events", headers=caller_ok.headers)
    assert plain.status_code == 406 and "text/event-stream" in plain.json()["detail"]
