"""GraphQL's importEvidence: a whole file as one string, imported as through REST, and a bad
file refused whole with its problems by row."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from graph import evidence
from graph.kit.connection import Database
from schema.vocabulary import Role
from tests.api.apphelpers import graph_fingerprint
from tests.factories import gql, make_caller
from tests.graph.imports.tickets import TICKET_MAPPING, evidence_count, ticket_model, tickets_csv

IMPORT_EVIDENCE = """
mutation($data: String!, $format: EvidenceFileFormat, $mapping: JSON) {
  importEvidence(data: $data, format: $format, mapping: $mapping) {
    importId status rows created alreadyPresent duplicates
  }
}"""


async def test_a_tool_imports_a_whole_file_through_graphql_as_through_rest(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    success = await make_caller(db, "success")
    body = tickets_csv(props, account, 30)
    first = await gql(
        client, success, IMPORT_EVIDENCE, data=body, format="CSV", mapping=TICKET_MAPPING
    )
    assert "errors" not in first, first
    summary = first["data"]["importEvidence"]
    assert (summary["rows"], summary["created"], summary["alreadyPresent"]) == (30, 30, 0)
    assert summary["status"] == "complete"
    items = await db.read(evidence.for_proposition, props[1], datetime.now(UTC))
    assert len(items) == 10 and items[0].import_id == summary["importId"]
    assert items[0].function == "success" and items[0].source_type == "support_ticket"

    # JSON Lines (the default format) with the same rows: keyed alike, nothing new.
    lines = "".join(
        json.dumps(
            {
                "summary": f"Ticket {n}: setup, again",
                "source_type": "support_ticket",
                "proposition_id": props[n % 3],
                "stance": "SUPPORTS" if n % 3 else "CONTRADICTS",
                "idempotency_key": str(10000 + n),
            }
        )
        + "\n"
        for n in range(30)
    )
    again = await gql(client, success, IMPORT_EVIDENCE, data=lines)
    assert again["data"]["importEvidence"]["alreadyPresent"] == 30
    assert await evidence_count(db) == 30


async def test_a_bad_file_through_graphql_is_refused_whole_with_the_problems_by_row(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    pm = await make_caller(db, "product")
    viewer = await make_caller(db, "sales", Role.VIEWER)
    lines = tickets_csv(props, account, 10).splitlines(keepends=True)
    lines[5] = lines[5].replace("supports", "maybe").replace("Contradicts", "maybe")
    before = await graph_fingerprint(db)
    refused = await gql(
        client, pm, IMPORT_EVIDENCE, data="".join(lines), format="CSV", mapping=TICKET_MAPPING
    )
    (error,) = refused["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problemCount"] == 1
    (problem,) = error["extensions"]["problems"]
    assert (problem["row"], problem["column"]) == (6, "Stance")
    assert "SUPPORTS or CONTRADICTS" in problem["message"]
    assert "nothing was written" in error["message"]

    forbidden = await gql(client, viewer, IMPORT_EVIDENCE, data=tickets_csv(props, account, 2))
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad_mapping = await gql(client, pm, IMPORT_EVIDENCE, data="{}", mapping={"subject": "x"})
    assert bad_mapping["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # A lone surrogate, which JSON can carry ("\ud800") but UTF-8 and so Neo4j cannot.
    lone = await client.post(
        "/graphql",
        content=json.dumps({"query": IMPORT_EVIDENCE, "variables": {"data": "\ud800\n"}}),
        headers={**pm.headers, "Content-Type": "application/json"},
    )
    assert lone.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "valid Unicode" in lone.json()["errors"][0]["message"]
    assert await graph_fingerprint(db) == before


async def test_accounts_by_name_and_percentages_through_graphql(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db, pains=1)  # the account is named "Northwind"
    success = await make_caller(db, "success")

    def line(n: int, account_ref: str) -> str:
        return json.dumps(
            {
                "summary": f"Call {n}",
                "source_type": "sales_call",
                "proposition_id": props[0],
                "stance": "SUPPORTS",
                "strength": "75%",
                "account_id": account_ref,
            }
        )

    refused = await gql(
        client, success, IMPORT_EVIDENCE, data="\n".join([line(1, "NORTHWIND"), line(2, "Initech")])
    )
    (problem,) = refused["errors"][0]["extensions"]["problems"]  # type: ignore[index]
    assert (problem["row"], problem["column"]) == (2, "account_id")
    assert "'Initech'" in problem["message"]
    assert await evidence_count(db) == 0

    imported = await gql(client, success, IMPORT_EVIDENCE, data=line(1, "NORTHWIND"))
    assert "errors" not in imported, imported
    (item,) = await db.read(evidence.for_proposition, props[0], datetime.now(UTC))
    assert item.account_id == account and item.bears[0].strength == 0.75


async def test_another_functions_import_of_the_same_file_writes_its_own_items(
    client: httpx.AsyncClient, db: Database
) -> None:
    props, account = await ticket_model(db)
    sales = await make_caller(db, "sales")
    product = await make_caller(db, "product")
    body = tickets_csv(props, account, 6)
    answers = [
        (
            await gql(
                client, caller, IMPORT_EVIDENCE, data=body, format="CSV", mapping=TICKET_MAPPING
            )
        )
        for caller in (sales, product, product)
    ]
    counts = [
        (a["data"]["importEvidence"]["created"], a["data"]["importEvidence"]["alreadyPresent"])
        for a in answers
    ]
    assert counts == [(6, 0), (6, 0), (0, 6)]  # product's resend finds product's own rows
    assert await evidence_count(db) == 12
