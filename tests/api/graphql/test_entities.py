"""Creating and reading the model through GraphQL, as an internal tool would."""

from __future__ import annotations

from typing import Any

import httpx

from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.factories import Caller, gql, make_caller

CREATE = """
mutation($input: CreateEntityInput!) {
  createEntity(input: $input) { id kind name status altKind segment { id name } }
}
"""
PROPOSE = """
mutation($s: ID!, $r: Relation!, $o: ID!) {
  createProposition(input: {subjectId: $s, relation: $r, objectId: $o}) {
    id relation text subject { name } object { name }
  }
}
"""


async def test_create_and_read_a_small_model(client: httpx.AsyncClient, db: Database) -> None:
    pm = await make_caller(db, "product")
    seg = await gql(client, pm, CREATE, input={"kind": "SEGMENT", "name": "Mid-market ops"})
    segment = seg["data"]["createEntity"]  # type: ignore[index]
    acct = await gql(
        client,
        pm,
        CREATE,
        input={"kind": "ACCOUNT", "name": "Northwind", "segmentId": segment["id"]},
    )
    assert acct["data"]["createEntity"]["segment"]["name"] == "Mid-market ops"  # type: ignore[index]
    pain = (await gql(client, pm, CREATE, input={"kind": "PAIN", "name": "Manual reporting"}))[
        "data"
    ]["createEntity"]  # type: ignore[index]
    prop = await gql(client, pm, PROPOSE, s=segment["id"], r="EXPERIENCES", o=pain["id"])
    created = prop["data"]["createProposition"]  # type: ignore[index]
    assert created["text"] == "Mid-market ops EXPERIENCES Manual reporting"
    again = await gql(client, pm, PROPOSE, s=segment["id"], r="EXPERIENCES", o=pain["id"])
    assert again["data"]["createProposition"]["id"] == created["id"]  # type: ignore[index]

    listing = await gql(
        client,
        pm,
        """query($seg: ID!) {
          propositions(segmentId: $seg) { totalCount nodes { id relation } }
          entities(kind: PAIN) { totalCount nodes { name } }
          functions { name }
        }""",
        seg=segment["id"],
    )
    data = listing["data"]
    assert data["propositions"]["totalCount"] == 1  # type: ignore[index]
    assert data["entities"]["nodes"] == [{"name": "Manual reporting"}]  # type: ignore[index]
    assert len(data["functions"]) == 7  # type: ignore[index,arg-type]


async def test_bad_input_gets_a_typed_error_and_writes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    pm = await make_caller(db, "product")
    body = await gql(client, pm, CREATE, input={"kind": "FEATURE", "name": "X", "status": "done"})
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "idea, planned, building, shipped" in error["message"]
    missing = await gql(client, pm, '{ entity(id: "nope") { id } }')
    assert missing["data"] == {"entity": None}
    body = await gql(client, pm, PROPOSE, s="seg-x", r="EXPERIENCES", o="pain-y")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # type: ignore[index]
    count = await gql(client, pm, "{ entities { totalCount } }")
    assert count["data"]["entities"]["totalCount"] == 0  # type: ignore[index]


async def test_viewers_cannot_write(client: httpx.AsyncClient, db: Database) -> None:
    viewer = await make_caller(db, "sales", Role.VIEWER)
    body = await gql(client, viewer, CREATE, input={"kind": "GOAL", "name": "Grow"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]


async def test_pages_are_bounded_and_cursors_pin_as_of(
    client: httpx.AsyncClient, db: Database
) -> None:
    pm = await make_caller(db, "product")
    for i in range(5):
        await gql(client, pm, CREATE, input={"kind": "GOAL", "name": f"Goal {i}"})
    too_many = await gql(client, pm, "{ entities(first: 101) { totalCount } }")
    assert "at most 100" in too_many["errors"][0]["message"]  # type: ignore[index]
    first = await gql(
        client,
        pm,
        "{ entities(first: 2) { pageInfo { endCursor hasNextPage asOf } nodes { name } } }",
    )
    page = first["data"]["entities"]  # type: ignore[index]
    assert page["pageInfo"]["hasNextPage"] is True
    await gql(client, pm, CREATE, input={"kind": "GOAL", "name": "Late goal"})
    names = [n["name"] for n in page["nodes"]]
    cursor = page["pageInfo"]["endCursor"]
    while cursor:
        nxt = await gql(
            client,
            pm,
            "query($c: String) { entities(first: 2, after: $c) {"
            " pageInfo { endCursor hasNextPage asOf } nodes { name } } }",
            c=cursor,
        )
        more = nxt["data"]["entities"]  # type: ignore[index]
        assert more["pageInfo"]["asOf"] == page["pageInfo"]["asOf"]
        names += [n["name"] for n in more["nodes"]]
        cursor = more["pageInfo"]["endCursor"] if more["pageInfo"]["hasNextPage"] else None
    assert names == [f"Goal {i}" for i in range(5)]  # the late goal is after the pinned as-of


async def test_mutations_return_a_bookmark(client: httpx.AsyncClient, db: Database) -> None:
    pm = await make_caller(db, "product")
    body = await gql(client, pm, CREATE, input={"kind": "GOAL", "name": "Grow"})
    bookmark = body["extensions"]["bookmark"]  # type: ignore[index]
    response = await client.post(
        "/graphql",
        json={"query": "{ entities(kind: GOAL) { totalCount } }"},
        headers={**pm.headers, "X-Bookmark": bookmark},
    )
    assert response.json()["data"]["entities"]["totalCount"] == 1


RETIRE = 'mutation($id: ID!) { retireEntity(id: $id, reason: "gone") { id retiredAt } }'
UNRETIRE = 'mutation($id: ID!) { unretireEntity(id: $id, reason: "still sold") { id retiredAt } }'
RETIRE_PROPOSITION = (
    'mutation($id: ID!) { retireProposition(id: $id, reason: "wrong") { id retiredAt } }'
)
UNRETIRE_PROPOSITION = (
    'mutation($id: ID!) { unretireProposition(id: $id, reason: "right after all") '
    "{ id retiredAt } }"
)
DIRECT_EDGES = "MATCH ()-[r {proposition_id: $id}]->() RETURN count(r) AS n"


async def _segment_and_pain(
    client: httpx.AsyncClient, caller: Caller
) -> tuple[dict[str, str], dict[str, str]]:
    made: list[Any] = [
        await gql(client, caller, CREATE, input={"kind": kind, "name": name})
        for kind, name in (("SEGMENT", "Ops"), ("PAIN", "Slow"))
    ]
    return made[0]["data"]["createEntity"], made[1]["data"]["createEntity"]


async def test_only_facilitators_and_admins_retire_a_segment(
    client: httpx.AsyncClient, db: Database
) -> None:
    pm = await make_caller(db, "product")
    segment, pain = await _segment_and_pain(client, pm)

    refused = await gql(client, pm, RETIRE, id=segment["id"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]
    assert "only facilitators and admins may retire a segment" in refused["errors"][0]["message"]  # type: ignore[index]
    live = await gql(client, pm, "{ entities(kind: SEGMENT) { totalCount } }")
    assert live["data"]["entities"]["totalCount"] == 1  # type: ignore[index]
    # Any other entity is still the contributor's to retire; a segment the facilitator's.
    assert (await gql(client, pm, RETIRE, id=pain["id"]))["data"]["retireEntity"]["retiredAt"]  # type: ignore[index]
    facilitator = await make_caller(db, "leadership", Role.FACILITATOR)
    done = await gql(client, facilitator, RETIRE, id=segment["id"])
    assert done["data"]["retireEntity"]["retiredAt"]  # type: ignore[index]
    # Bringing a segment back is reserved the same way.
    again = await gql(client, pm, UNRETIRE, id=segment["id"])
    assert again["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # type: ignore[index]


async def test_unretire_brings_an_entity_and_a_proposition_back_with_the_audit_trail(
    client: httpx.AsyncClient, db: Database
) -> None:
    from graph import audit
    from graph.kit.connection import fetch_one

    pm = await make_caller(db, "product")
    segment, pain = await _segment_and_pain(client, pm)
    prop = (await gql(client, pm, PROPOSE, s=segment["id"], r="EXPERIENCES", o=pain["id"]))["data"][
        "createProposition"
    ]  # type: ignore[index]

    await gql(client, pm, RETIRE, id=pain["id"])
    await gql(client, pm, RETIRE_PROPOSITION, id=prop["id"])
    assert await db.read(fetch_one, DIRECT_EDGES, id=prop["id"]) == {"n": 0}
    # A proposition whose entity is retired stays retired.
    blocked = await gql(client, pm, UNRETIRE_PROPOSITION, id=prop["id"])
    assert blocked["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    assert "is retired" in blocked["errors"][0]["message"]  # type: ignore[index]

    back = await gql(client, pm, UNRETIRE, id=pain["id"])
    assert back["data"]["unretireEntity"] == {"id": pain["id"], "retiredAt": None}  # type: ignore[index]
    restored = await gql(client, pm, UNRETIRE_PROPOSITION, id=prop["id"])
    assert restored["data"]["unretireProposition"] == {"id": prop["id"], "retiredAt": None}  # type: ignore[index]
    assert await db.read(fetch_one, DIRECT_EDGES, id=prop["id"]) == {"n": 1}
    listing = await gql(
        client, pm, "{ entities(kind: PAIN) { totalCount } propositions { totalCount } }"
    )
    assert listing["data"] == {"entities": {"totalCount": 1}, "propositions": {"totalCount": 1}}
    # A second unretire (a retry) answers the entity as it is and logs nothing more.
    again: Any = await gql(client, pm, UNRETIRE, id=pain["id"])
    assert again["data"]["unretireEntity"]["retiredAt"] is None

    async def entries(action: str) -> list[dict[str, object]]:
        return await db.read(
            audit.list_entries, member_id=None, action=action, before=None, limit=10
        )

    [retired] = await entries("retireEntity")
    [unretired] = await entries("unretireEntity")
    assert unretired["target_ids"] == [pain["id"]] and unretired["member_id"] == pm.member.id
    assert "still sold" in str(unretired["detail"]) and "gone" in str(unretired["detail"])
    assert len(await entries("unretireProposition")) == 1 and retired["detail"] == "gone"
