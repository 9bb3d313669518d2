"""Snapshots through GraphQL: create (idempotent), list, read and diff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from graph import entities
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import EntityKind, Role
from tests.factories import gql, make_caller
from tests.graph.snapshots.factories import BASE, small_company

CREATE = """
mutation($label: String, $asOf: DateTime, $key: String) {
  createSnapshot(label: $label, asOf: $asOf, idempotencyKey: $key) {
    id fingerprint label asOf createdAt
    counts { entities propositions evidence beliefs }
    alignment { alpha units meanAbsDifference }
    summary
    files { json html csv }
  }
}
"""
DIFF = """
query($a: ID!, $b: ID!) {
  snapshotDiff(from: $a, to: $b) {
    entitiesAdded { id name } entitiesRetired { id name }
    propositionsAdded { id name }
    beliefShifts { function text before after change }
    divergenceChanges { kind change function }
    alphaBefore alphaAfter alphaChange
  }
}
"""


async def test_create_list_read_and_diff_snapshots(client: httpx.AsyncClient, db: Database) -> None:
    ids = await small_company(db)
    pm = await make_caller(db, "product")
    viewer = await make_caller(db, "sales", Role.VIEWER)

    refused = await gql(client, viewer, CREATE, label="nope")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]

    early = (BASE + timedelta(days=1, hours=1)).isoformat()
    first = (await gql(client, pm, CREATE, label="Kick-off", asOf=early, key="k-1"))["data"]
    snap_a = first["createSnapshot"]  # type: ignore[index]
    assert snap_a["label"] == "Kick-off"
    assert snap_a["counts"] == {"entities": 9, "propositions": 6, "evidence": 0, "beliefs": 18}
    assert snap_a["files"]["html"] == f"/api/v1/snapshots/{snap_a['id']}.html"
    again = (await gql(client, pm, CREATE, label="Other", key="k-1"))["data"]
    assert again["createSnapshot"]["id"] == snap_a["id"]  # type: ignore[index]

    # Between the two snapshots: a new pain, a retired one, and product changes its mind.
    now = datetime.now(UTC)
    await db.write(
        entities.upsert_by_id,
        EntityKind.PAIN,
        {"id": "pain-new", "name": "Too many dashboards", "created_at": now, "created_by": "m"},
    )
    await db.write(entities.retire, Actor.system(), "pain-4", "out of scope", now)
    changed = await gql(
        client,
        pm,
        "mutation($p: ID!) { stateBelief(input: {propositionId: $p, p: 0.99}) { p } }",
        p=ids["Slow setup"],
    )
    assert "errors" not in changed, changed
    later = (await gql(client, pm, CREATE, label="Q4"))["data"]["createSnapshot"]  # type: ignore[index]
    assert later["counts"]["evidence"] == 16
    assert later["alignment"]["units"] == 5 and later["alignment"]["alpha"] is not None
    assert any("propositions" in s for s in later["summary"])

    listing = await gql(
        client,
        pm,
        "{ snapshots(first: 1) { totalCount nodes { id label } "
        "pageInfo { hasNextPage endCursor } } }",
    )
    page = listing["data"]["snapshots"]  # type: ignore[index]
    assert page["totalCount"] == 2 and page["nodes"][0]["label"] == "Q4"
    rest = await gql(
        client,
        pm,
        "query($c: String) { snapshots(first: 5, after: $c) { nodes { label } } }",
        c=page["pageInfo"]["endCursor"],
    )
    assert [n["label"] for n in rest["data"]["snapshots"]["nodes"]] == ["Kick-off"]  # type: ignore[index]

    diff = (await gql(client, pm, DIFF, a=snap_a["id"], b=later["id"]))["data"]["snapshotDiff"]  # type: ignore[index]
    assert [e["id"] for e in diff["entitiesAdded"]] == ["pain-new"]
    assert [e["id"] for e in diff["entitiesRetired"]] == ["pain-4"]
    shifts = {(s["function"], s["text"]): s for s in diff["beliefShifts"]}
    assert shifts[("product", "Ops teams EXPERIENCES Slow setup")]["after"] == 0.99
    assert any(
        c["kind"] == "belief_gap" and c["change"] == "appeared" for c in diff["divergenceChanges"]
    )
    missing = await gql(client, pm, '{ snapshot(id: "snap-nope") { id } }')
    assert missing["data"] == {"snapshot": None}
