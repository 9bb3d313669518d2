"""Accounts in an import: named by id or by name (any case, spaces trimmed); a name that fits
two accounts, or none, is a problem of its row; names are looked up for the whole file at
once, not row by row."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from neo4j import AsyncManagedTransaction

from graph import entities, evidence
from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import Database, fetch_one
from schema.imports import ImportFormat, ImportRejected
from schema.models import Actor, EntityCreate
from schema.vocabulary import EntityKind
from tests.api.apphelpers import CountingDatabase, graph_fingerprint
from tests.factories import make_caller
from tests.graph.imports.tickets import TICKET_MAPPING, ticket_model, tickets_csv

MAPPING = ColumnMapping.parse(TICKET_MAPPING)


async def _account(db: Database, name: str, segment_of: str) -> str:
    """A new account named ``name`` in the segment of the account ``segment_of``."""
    found = await db.read(entities.get, segment_of, datetime.now(UTC))
    assert found is not None and found.segment_id is not None
    data = EntityCreate(kind=EntityKind.ACCOUNT, name=name, segment_id=found.segment_id)
    created, _ = await db.write(entities.create, Actor.system(), data, datetime.now(UTC))
    return created.id


def _with_accounts(props: list[str], account_id: str, accounts: list[str]) -> bytes:
    """A ticket export whose n-th row names ``accounts[n]`` in its Org ID column."""
    lines = tickets_csv(props, account_id, len(accounts)).splitlines(keepends=True)
    for n, account in enumerate(accounts, start=1):
        lines[n] = lines[n].replace(f",{account_id},", f",{account},")
    return "".join(lines).encode()


async def test_an_account_is_found_by_its_id_or_by_its_name_in_any_case(db: Database) -> None:
    props, northwind = await ticket_model(db, pains=1)  # the account is named "Northwind"
    actor = (await make_caller(db, "success")).actor
    body = _with_accounts(props, northwind, [northwind, "Northwind", "  NORTHWIND "])

    validated = await validation.validate(db, io.BytesIO(body), ImportFormat.CSV, MAPPING)
    try:
        result = await writing.write(db, actor, validated)
    finally:
        validated.close()

    assert result.created == 3
    items = await db.read(evidence.for_proposition, props[0], datetime.now(UTC))
    assert [item.account_id for item in items] == [northwind] * 3
    assert await db.read(_linked_to, northwind) == 3


async def test_a_name_of_two_accounts_or_of_none_is_a_problem_of_its_row(db: Database) -> None:
    props, northwind = await ticket_model(db, pains=1)
    first = await _account(db, "Acme Corp", northwind)
    second = await _account(db, "ACME corp", northwind)
    body = _with_accounts(props, northwind, ["Northwind", "acme corp", "Initech", "Northwind"])
    before = await graph_fingerprint(db)

    with pytest.raises(ImportRejected) as rejected:
        await validation.validate(db, io.BytesIO(body), ImportFormat.CSV, MAPPING)

    problems = {(p.row, p.column): p.message for p in rejected.value.problems}
    assert set(problems) == {(3, "Org ID"), (4, "Org ID")}
    assert first in problems[(3, "Org ID")] and second in problems[(3, "Org ID")]
    assert "'Initech'" in problems[(4, "Org ID")]
    assert "no account has this id or name" in problems[(4, "Org ID")]
    assert await graph_fingerprint(db) == before


async def test_account_names_are_looked_up_for_the_whole_file_at_once(db: Database) -> None:
    props, northwind = await ticket_model(db, pains=2)
    for n in range(3):
        await _account(db, f"Customer {n}", northwind)
    names = [f"customer {n % 3}" for n in range(300)]
    counting = CountingDatabase(db)

    validated = await validation.validate(
        counting, io.BytesIO(_with_accounts(props, northwind, names)), ImportFormat.CSV, MAPPING
    )
    validated.close()

    # One query for the propositions, one for ids and one for names: never one per row.
    assert counting.queries <= 3, counting.log


async def _linked_to(tx: AsyncManagedTransaction, account_id: str) -> int:
    row = await fetch_one(
        tx,
        "MATCH (:Evidence)-[:FROM_ACCOUNT]->(a:Account {id: $id}) RETURN count(*) AS links",
        id=account_id,
    )
    return int(row["links"]) if row else 0
