"""Writing a validated import: its evidence counts only once the last batch commits, and an
interrupted import stays invisible until a resend completes it."""

from __future__ import annotations

import io

import pytest
from neo4j import AsyncManagedTransaction

from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import Database, fetch_one
from schema.imports import ImportFormat
from tests.factories import make_caller
from tests.graph.imports.tickets import (
    TICKET_MAPPING,
    evidence_count,
    ticket_model,
    tickets_csv,
    visible_supporting,
)


async def test_an_import_counts_only_once_its_last_batch_commits(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    raw = io.BytesIO(tickets_csv(props, account, 25).encode())
    validated = await validation.validate(
        db, raw, ImportFormat.CSV, ColumnMapping.parse(TICKET_MAPPING)
    )
    seen_during: list[tuple[int, int]] = []

    async def after_batch(done: int, total: int) -> None:
        seen_during.append((done, await visible_supporting(db, props[0])))

    result = await writing.write(db, actor, validated, batch_size=10, progress=after_batch)
    validated.close()
    assert [done for done, _ in seen_during] == [10, 20, 25]
    assert [visible for _, visible in seen_during] == [0, 0, 0]
    assert await evidence_count(db) == 25
    assert await visible_supporting(db, props[0]) == 16  # the rows not on every third
    status = await db.read(writing.get, result.import_id)
    assert status is not None and status["status"] == "complete"


async def test_an_interrupted_import_stays_invisible_and_a_resend_completes_it(
    db: Database,
) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    mapping = ColumnMapping.parse(TICKET_MAPPING)
    data = tickets_csv(props, account, 30).encode()

    async def crash_after_first(done: int, total: int) -> None:
        raise ConnectionError("the client went away")

    validated = await validation.validate(db, io.BytesIO(data), ImportFormat.CSV, mapping)
    with pytest.raises(ConnectionError):
        await writing.write(db, actor, validated, batch_size=12, progress=crash_after_first)
    validated.close()
    assert await evidence_count(db) == 12
    assert await visible_supporting(db, props[0]) == 0
    failed = await db.read(_import_statuses)
    assert failed == ["failed"]

    validated = await validation.validate(db, io.BytesIO(data), ImportFormat.CSV, mapping)
    result = await writing.write(db, actor, validated, batch_size=12)
    validated.close()
    assert (result.created, result.already_present) == (18, 12)
    assert await evidence_count(db) == 30
    assert await visible_supporting(db, props[0]) == 20


async def _import_statuses(tx: AsyncManagedTransaction) -> list[str]:
    row = await fetch_one(tx, "MATCH (i:Import) RETURN collect(i.status) AS statuses")
    return list(row["statuses"]) if row else []
