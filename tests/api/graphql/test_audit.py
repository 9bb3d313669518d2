"""The audit log through GraphQL: who may read it, what an entry says, paging through it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from neo4j import AsyncManagedTransaction

from graph import audit
from graph.kit.connection import Database
from schema.models import Actor
from schema.vocabulary import Role
from tests.factories import gql, make_caller

LOG = """
query($member: ID, $action: String, $first: Int, $after: String) {
  auditLog(memberId: $member, action: $action, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id at memberId memberName member { function } function role action targetIds detail }
  }
}
"""
CREATE = """
mutation($name: String!) { createEntity(input: {kind: GOAL, name: $name}) { id } }
"""


def _data(body: dict[str, Any]) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"]


async def test_only_facilitators_and_admins_read_the_audit_log(
    client: httpx.AsyncClient, db: Database
) -> None:
    writer = await make_caller(db, "marketing")
    created = _data(await gql(client, writer, CREATE, name="Launch campaigns faster"))
    goal_id = created["createEntity"]["id"]

    for role in (Role.VIEWER, Role.CONTRIBUTOR):
        caller = await make_caller(db, "sales", role)
        body = await gql(client, caller, LOG, member=writer.member.id)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        assert body["data"] is None

    for role in (Role.FACILITATOR, Role.ADMIN):
        caller = await make_caller(db, "design", role)
        entries = _data(await gql(client, caller, LOG, member=writer.member.id))["auditLog"]
        assert [
            {k: e[k] for k in ("memberId", "memberName", "member", "function", "role", "action")}
            for e in entries["nodes"]
        ] == [
            {
                "memberId": writer.member.id,
                "memberName": writer.member.name,
                "member": {"function": "marketing"},
                "function": "marketing",
                "role": "contributor",
                "action": "createEntity",
            }
        ]
        assert entries["nodes"][0]["targetIds"] == [goal_id]
        assert entries["nodes"][0]["detail"] == "Launch campaigns faster"


async def test_paging_through_entries_that_share_a_time_shows_each_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    admin = await make_caller(db, "engineering", Role.ADMIN)
    same_time = datetime(2020, 6, 1, 12, 0, tzinfo=UTC)
    actor = Actor.system()

    async def write_entries(tx: AsyncManagedTransaction) -> None:
        for n in range(7):
            await audit.record(tx, actor, "importEvidence", [f"import-{n}"], same_time)

    await db.write(write_entries)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = _data(await gql(client, admin, LOG, action="importEvidence", first=3, after=after))[
            "auditLog"
        ]
        pages += 1
        seen += [t for e in page["nodes"] for t in e["targetIds"]]
        assert {e["memberName"] for e in page["nodes"]} == {"system"}
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert sorted(seen) == [f"import-{n}" for n in range(7)]

    newest = _data(await gql(client, admin, LOG, first=1))["auditLog"]["nodes"]
    assert newest[0]["action"] in {"createToken", "addMember"}
    too_many = await gql(client, admin, LOG, first=101)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
