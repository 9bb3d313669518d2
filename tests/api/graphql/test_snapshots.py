"""Snapshots through GraphQL: create (idempotent), list, read and diff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from graph import entities
from graph.kit.connection import Database, fetch_one
from schema.models import Actor
from schema.settings import Settings
from schema.vocabulary import EntityKind, Role
from tests.api.apphelpers import app_client
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


QUICK = "mutation($l: String) { createSnapshot(label: $l) { id label } }"
DELETE = "mutation($id: ID!, $r: String!) { deleteSnapshot(id: $id, reason: $r) { id label } }"
PURGE = """
mutation($id: ID!) {
  purgeRedactedFromSnapshots(evidenceId: $id, reason: "erasure request") {
    evidenceId
    snapshots { id fingerprint purges { evidenceId by reason fingerprintBefore fingerprintAfter } }
  }
}
"""


def _code(body: dict[str, object]) -> str:
    return body["errors"][0]["extensions"]["code"]  # type: ignore[index,no-any-return]


async def test_snapshots_have_a_quota_and_admins_delete_them(
    db: Database, app_settings: Settings
) -> None:
    from graph import audit

    limited = app_settings.model_copy(
        update={"snapshots_per_member_per_day": 2, "max_snapshots": 3}
    )
    async with app_client(limited, db) as client:
        pm = await make_caller(db, "product")
        sales = await make_caller(db, "sales")
        admin = await make_caller(db, "leadership", Role.ADMIN)
        first = (await gql(client, pm, QUICK, l="one"))["data"]["createSnapshot"]  # type: ignore[index]
        await gql(client, pm, QUICK, l="two")
        refused = await gql(client, pm, QUICK, l="three")
        assert _code(refused) == "CONFLICT"
        message = refused["errors"][0]["message"]  # type: ignore[index]
        assert "2 snapshots in the last 24 hours" in message and "limit is 2" in message
        # Another member has a quota of their own, until the store is full.
        await gql(client, sales, QUICK, l="three")
        full = await gql(client, sales, QUICK, l="four")
        assert _code(full) == "CONFLICT" and "limit is 3" in full["errors"][0]["message"]  # type: ignore[index]
        assert "deleteSnapshot" in full["errors"][0]["message"]  # type: ignore[index]

        # Only an admin deletes one, with a reason; then there is room again.
        assert _code(await gql(client, pm, DELETE, id=first["id"], r="old")) == "FORBIDDEN"
        assert _code(await gql(client, admin, DELETE, id=first["id"], r=" ")) == "BAD_USER_INPUT"
        deleted = await gql(client, admin, DELETE, id=first["id"], r="superseded")
        assert deleted["data"] == {"deleteSnapshot": first}
        assert (await gql(client, admin, DELETE, id=first["id"], r="again"))["data"] is None
        gone = await gql(client, pm, "query($id: ID!) { snapshot(id: $id) { id } }", id=first["id"])
        assert gone["data"] == {"snapshot": None}
        response = await client.get(f"/api/v1/snapshots/{first['id']}.json", headers=pm.headers)
        assert response.status_code == 404
        assert (await gql(client, sales, QUICK, l="four"))["data"]["createSnapshot"]  # type: ignore[index]
        [entry] = await db.read(
            audit.list_entries, member_id=None, action="deleteSnapshot", before=None, limit=5
        )
        assert entry["member_id"] == admin.member.id and "superseded" in entry["detail"]
        chunks = await db.read(
            fetch_one,
            "MATCH (k:SnapshotChunk {snapshot_id: $id}) RETURN count(k) AS n",
            id=first["id"],
        )
        assert chunks == {"n": 0}


async def test_an_admin_purges_redacted_evidence_from_snapshots_through_graphql(
    client: httpx.AsyncClient, db: Database
) -> None:
    ids = await small_company(db)
    admin = await make_caller(db, "product", Role.ADMIN)
    added = await gql(
        client,
        admin,
        """mutation($p: ID!) { addEvidence(input: [{sourceType: "interview",
             summary: "Call with jane@example.com", idempotencyKey: "jane@example.com",
             bears: [{propositionId: $p, stance: SUPPORTS}]}]) { items { id } } }""",
        p=ids["Slow setup"],
    )
    item = added["data"]["addEvidence"]["items"][0]["id"]  # type: ignore[index]
    snap = (await gql(client, admin, CREATE, label="Before"))["data"]["createSnapshot"]  # type: ignore[index]
    redact = 'mutation($id: ID!) { redactEvidence(id: $id, reason: "asked") { id } }'
    assert "errors" not in await gql(client, admin, redact, id=item)

    pm = await make_caller(db, "product", Role.FACILITATOR)
    assert _code(await gql(client, pm, PURGE, id=item)) == "FORBIDDEN"
    result = (await gql(client, admin, PURGE, id=item))["data"]["purgeRedactedFromSnapshots"]  # type: ignore[index]
    [changed] = result["snapshots"]
    assert changed["id"] == snap["id"] and changed["fingerprint"] != snap["fingerprint"]
    assert changed["purges"] == [
        {
            "evidenceId": item,
            "by": admin.member.id,
            "reason": "erasure request",
            "fingerprintBefore": snap["fingerprint"],
            "fingerprintAfter": changed["fingerprint"],
        }
    ]
    response = await client.get(f"/api/v1/snapshots/{snap['id']}.json", headers=pm.headers)
    assert "jane@example.com" not in response.text
    assert response.headers["x-snapshot-fingerprint"] == changed["fingerprint"]
