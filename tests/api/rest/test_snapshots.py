"""Snapshot files through REST: streamed with a token, and with quotes left out on request."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import orjson

from graph import members
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import Role
from tests.api.graphql.test_snapshots import CREATE
from tests.factories import gql, make_caller
from tests.graph.snapshots.factories import small_company


async def test_files_stream_with_a_token_and_quotes_can_be_left_out(
    client: httpx.AsyncClient, db: Database
) -> None:
    await small_company(db)
    pm = await make_caller(db, "product")
    snap = (await gql(client, pm, CREATE, label="Board"))["data"]["createSnapshot"]  # type: ignore[index]
    base = f"/api/v1/snapshots/{snap['id']}"

    assert (await client.get(f"{base}.json")).status_code == 401
    assert (
        await client.get("/api/v1/snapshots/snap-nope.json", headers=pm.headers)
    ).status_code == 404
    assert (await client.get(f"{base}.pdf", headers=pm.headers)).status_code == 400

    response = await client.get(f"{base}.json", headers=pm.headers)
    assert response.status_code == 200
    assert response.headers["x-snapshot-fingerprint"] == snap["fingerprint"]
    document = orjson.loads(response.content)
    assert document["snapshot"]["fingerprint"] == snap["fingerprint"]
    assert any(
        "Quote 0 about slow setup" in (e["summary"] or "") for e in document["content"]["evidence"]
    )

    for fmt in ("json", "md", "html"):
        public = await client.get(f"{base}.{fmt}?quotes=false", headers=pm.headers)
        assert public.status_code == 200
        assert "Quote 0 about" not in public.text and "ticket-0" not in public.text, fmt
    html = await client.get(f"{base}.html", headers=pm.headers)
    assert html.headers["content-type"].startswith("text/html")
    assert 'id="heatmap"' in html.text and "Quote" in html.text

    table = await client.get(f"{base}.csv?table=evidence", headers=pm.headers)
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == 16 and rows[0]["summary"].startswith("Quote")
    public_table = await client.get(f"{base}.csv?table=evidence&quotes=false", headers=pm.headers)
    assert all(r["summary"] == "" for r in csv.DictReader(io.StringIO(public_table.text)))
    heat = list(csv.reader(io.StringIO((await client.get(f"{base}.csv", headers=pm.headers)).text)))
    assert heat[0][:2] == ["proposition_id", "proposition"] and len(heat) == 7


async def test_no_secret_ever_reaches_a_snapshot(
    client: httpx.AsyncClient, db: Database, app_settings: object
) -> None:
    await small_company(db)
    callers = [
        await make_caller(db, f, r) for f, r in (("product", Role.ADMIN), ("sales", Role.VIEWER))
    ]
    _, extra_token = await db.write(
        members.create_token, Actor.system(), callers[1].member.id, datetime.now(UTC)
    )
    secrets = [c.token for c in callers] + [extra_token]
    secrets += [members.hash_token(s) for s in secrets]
    password = getattr(app_settings, "neo4j_password", None)
    if password:
        secrets.append(password)
    snap = (await gql(client, callers[0], CREATE, label="Secrets?"))["data"]["createSnapshot"]  # type: ignore[index]
    base = f"/api/v1/snapshots/{snap['id']}"
    from graph.snapshots.export.tables import TABLES

    urls = [f"{base}.{fmt}?quotes={q}" for fmt in ("json", "md", "html") for q in ("true", "false")]
    urls += [f"{base}.csv?table={t}" for t in TABLES]
    for url in urls:
        body = (await client.get(url, headers=callers[0].headers)).text
        assert body, url
        for secret in secrets:
            assert secret not in body, url
        assert "ApiToken" not in body and "cg_" not in body, url
