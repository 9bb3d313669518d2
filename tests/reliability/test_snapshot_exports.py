"""Snapshot exports and corrections against a real `commonground serve`: CSV cells that read
as formulas (finding 7), redacted personal data in snapshots (finding 8), and from the low
findings a retried merge, a contributor retiring a segment, and Markdown from people's text.
docs/reliability.md lists what each guards."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import Caller, make_caller
from tests.reliability.conftest import Server, graphql_body

pytestmark = pytest.mark.slow

EMAIL = "jane.doe@example.com"
FORMULAS = ('=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3")


async def _gql(http: httpx.AsyncClient, caller: Caller, query: str, **variables: Any) -> Any:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=caller.headers
    )
    return graphql_body(response)


async def _entity(http: httpx.AsyncClient, caller: Caller, kind: str, name: str) -> str:
    body = await _gql(
        http,
        caller,
        "mutation($k: EntityKind!, $n: String!) { createEntity(input: {kind: $k, name: $n}) "
        "{ id } }",
        k=kind,
        n=name,
    )
    return str(body["data"]["createEntity"]["id"])


async def _proposition(http: httpx.AsyncClient, caller: Caller, segment: str, pain: str) -> str:
    body = await _gql(
        http,
        caller,
        "mutation($s: ID!, $o: ID!) { createProposition(input: {subjectId: $s, "
        "relation: EXPERIENCES, objectId: $o}) { id } }",
        s=segment,
        o=pain,
    )
    return str(body["data"]["createProposition"]["id"])


async def _evidence(
    http: httpx.AsyncClient, caller: Caller, proposition: str, summary: str, key: str | None
) -> str:
    body = await _gql(
        http,
        caller,
        "mutation($p: ID!, $s: String!, $k: String) { addEvidence(input: [{sourceType: "
        '"interview", summary: $s, idempotencyKey: $k, bears: [{propositionId: $p, '
        "stance: SUPPORTS}]}]) { items { id } } }",
        p=proposition,
        s=summary,
        k=key,
    )
    return str(body["data"]["addEvidence"]["items"][0]["id"])


async def _snapshot(http: httpx.AsyncClient, caller: Caller, label: str) -> dict[str, Any]:
    body = await _gql(
        http,
        caller,
        "mutation($l: String) { createSnapshot(label: $l) { id fingerprint } }",
        l=label,
    )
    snapshot: dict[str, Any] = body["data"]["createSnapshot"]
    return snapshot


async def _file(http: httpx.AsyncClient, caller: Caller, snapshot_id: str, suffix: str) -> str:
    response = await http.get(f"/api/v1/snapshots/{snapshot_id}.{suffix}", headers=caller.headers)
    assert response.status_code == 200, response.text[:300]
    return response.text


async def test_exports_hand_spreadsheets_and_markdown_viewers_only_text(
    db: Database, shared_server: Server
) -> None:
    pm = await make_caller(db, "product")
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=120) as http:
        segment = await _entity(http, pm, "SEGMENT", "Ops")
        for text in FORMULAS:
            pain = await _entity(http, pm, "PAIN", text)
            await _evidence(http, pm, await _proposition(http, pm, segment, pain), text, None)
        label = "Q3\n# Owned\n<img src=x onerror=alert(1)> [x](javascript:alert(2))"
        snap = await _snapshot(http, pm, label)

        for table, column in (("entities", "name"), ("evidence", "summary")):
            text = await _file(http, pm, snap["id"], f"csv?table={table}")
            cells = {row[column] for row in csv.DictReader(io.StringIO(text, newline=""))}
            assert {f"'{f}" for f in FORMULAS} <= cells, table
            assert not cells & set(FORMULAS), table
        markdown = await _file(http, pm, snap["id"], "md")
        first = markdown.splitlines()[0]
        assert first.startswith("# Alignment snapshot: Q3 \\# Owned \\<img")
        assert "\n# Owned" not in markdown and "<img" not in markdown.replace("\\<img", "")
        assert "](javascript:" not in markdown.replace("\\](javascript:", "")


async def test_redaction_reaches_every_snapshot_and_a_purge_is_recorded(
    db: Database, shared_server: Server
) -> None:
    pm = await make_caller(db, "product")
    admin = await make_caller(db, "leadership", Role.ADMIN)
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=120) as http:
        segment = await _entity(http, pm, "SEGMENT", "Ops")
        pain = await _entity(http, pm, "PAIN", "Slow setup")
        proposition = await _proposition(http, pm, segment, pain)
        item = await _evidence(http, pm, proposition, f"Call with {EMAIL}", EMAIL)
        before = await _snapshot(http, pm, "Before")
        redacted = await _gql(
            http,
            admin,
            'mutation($id: ID!) { redactEvidence(id: $id, reason: "asked") { id } }',
            id=item,
        )
        assert "errors" not in redacted, redacted
        after = await _snapshot(http, pm, "After")
        assert EMAIL not in await _file(http, pm, after["id"], "json")
        assert EMAIL in await _file(http, pm, before["id"], "json")

        purge = (
            "mutation($id: ID!) { purgeRedactedFromSnapshots(evidenceId: $id, reason: "
            '"erasure request") { snapshots { id fingerprint purges { by fingerprintBefore '
            "fingerprintAfter } } } }"
        )
        refused = await _gql(http, pm, purge, id=item)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        purged = (await _gql(http, admin, purge, id=item))["data"]["purgeRedactedFromSnapshots"]
        [changed] = purged["snapshots"]
        assert changed["id"] == before["id"]
        assert changed["purges"] == [
            {
                "by": admin.member.id,
                "fingerprintBefore": before["fingerprint"],
                "fingerprintAfter": changed["fingerprint"],
            }
        ]
        for suffix in ("json", "md", "html", "csv?table=evidence"):
            assert EMAIL not in await _file(http, pm, before["id"], suffix), suffix


async def test_a_retried_merge_answers_the_survivor_and_segments_stay_with_facilitators(
    db: Database, shared_server: Server
) -> None:
    pm = await make_caller(db, "product")
    facilitator = await make_caller(db, "leadership", Role.FACILITATOR)
    async with httpx.AsyncClient(base_url=shared_server.url, timeout=120) as http:
        keep = await _entity(http, pm, "PAIN", "Manual reports")
        gone = await _entity(http, pm, "PAIN", "Reports by hand")
        merge = "mutation($k: ID!, $m: ID!) { mergeEntities(keepId: $k, mergeId: $m) { id } }"
        for _ in range(2):  # the second as a client retries when the first answer was lost
            body = await _gql(http, facilitator, merge, k=keep, m=gone)
            assert body["data"] == {"mergeEntities": {"id": keep}}, body

        segment = await _entity(http, pm, "SEGMENT", "Ops")
        retire = 'mutation($id: ID!) { retireEntity(id: $id, reason: "gone") { id } }'
        refused = await _gql(http, pm, retire, id=segment)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "errors" not in await _gql(http, facilitator, retire, id=segment)
        unretire = 'mutation($id: ID!) { unretireEntity(id: $id, reason: "back") { retiredAt } }'
        restored = await _gql(http, facilitator, unretire, id=segment)
        assert restored["data"] == {"unretireEntity": {"retiredAt": None}}
