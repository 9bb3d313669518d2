"""Two imports of the same rows at once: each is answered only when every one of its rows is
visible, no row is written twice, and rows are taken over only from an import that died."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest

from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import Database, fetch_one
from schema.imports import ImportFormat, TooManyImports
from tests.factories import make_caller
from tests.graph.imports.tickets import TICKET_MAPPING, evidence_count, ticket_model, tickets_csv

ROWS = 30

VISIBLE = """
MATCH (ev:Evidence)
WHERE ev.import_id IS NULL
   OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at IS NOT NULL }
RETURN count(ev) AS visible
"""


async def visible(db: Database) -> int:
    row = await db.read(fetch_one, VISIBLE)
    assert row is not None
    return int(row["visible"])


class Paused:
    """A progress callback that stops its import after its first batch until released."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self, done: int, total: int) -> None:
        if not self.reached.is_set():
            self.reached.set()
            await self.go.wait()


async def _validated(db: Database, data: bytes) -> validation.ValidatedImport:
    mapping = ColumnMapping.parse(TICKET_MAPPING)
    return await validation.validate(db, io.BytesIO(data), ImportFormat.CSV, mapping)


async def test_a_second_import_never_takes_rows_from_a_live_one(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    data = tickets_csv(props, account, ROWS).encode()
    first, second = Paused(), Paused()
    a_file, b_file = await _validated(db, data), await _validated(db, data)
    a = asyncio.create_task(writing.write(db, actor, a_file, batch_size=10, progress=first))
    await first.reached.wait()  # A wrote its first ten rows and holds them
    b = asyncio.create_task(writing.write(db, actor, b_file, batch_size=10, progress=second))
    await second.reached.wait()  # B met those rows in its first batch
    first.go.set()
    a_result = await a
    visible_at_a = await visible(db)
    second.go.set()
    b_result = await b
    visible_at_b = await visible(db)
    a_file.close()
    b_file.close()
    assert (a_result.status, b_result.status) == ("complete", "complete")
    assert visible_at_a == ROWS  # every row A acknowledged, visible when A answered
    assert visible_at_b == ROWS
    assert await evidence_count(db) == ROWS  # none written twice
    assert a_result.created + b_result.created == ROWS


async def test_rows_of_an_import_whose_lease_ran_out_are_taken_over(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    data = tickets_csv(props, account, ROWS).encode()
    stalled = Paused()
    a_file, b_file = await _validated(db, data), await _validated(db, data)
    # A long lease, never renewed during the test: A stands for a process that stopped.
    a = asyncio.create_task(
        writing.write(db, actor, a_file, batch_size=10, progress=stalled, lease_s=3600)
    )
    await stalled.reached.wait()
    await db.write(_expire_leases)
    b_result = await writing.write(db, actor, b_file, batch_size=10)
    assert b_result.status == "complete"
    assert await visible(db) == ROWS  # B took A's ten rows over: all visible when B answered
    stalled_import = await db.read(writing.get, _only_other(await db.read(_import_ids), b_result))
    assert stalled_import is not None and stalled_import["status"] == "interrupted"
    # A comes back to life: it finds its rows written by B and completes as well.
    stalled.go.set()
    a_result = await a
    assert a_result.status == "complete"
    assert await evidence_count(db) == ROWS
    a_file.close()
    b_file.close()


async def test_a_stuck_import_ends_interrupted_not_running(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    stuck = Paused()
    a_file = await _validated(db, tickets_csv(props, account, ROWS).encode())
    a = asyncio.create_task(
        writing.write(db, actor, a_file, batch_size=10, progress=stuck, lease_s=3600)
    )
    await stuck.reached.wait()
    [import_id] = await db.read(_import_ids)
    running = await db.read(writing.get, import_id)
    assert running is not None and running["status"] == "running"
    await db.write(_expire_leases)
    found = await db.read(writing.get, import_id)
    assert found is not None and found["status"] == "interrupted"
    a.cancel()
    a_file.close()


async def _expire_leases(tx) -> None:  # type: ignore[no-untyped-def]
    past = datetime.now(UTC) - timedelta(minutes=1)
    await tx.run("MATCH (i:Import) WHERE i.completed_at IS NULL SET i.lease_until = $t", t=past)


async def _import_ids(tx) -> list[str]:  # type: ignore[no-untyped-def]
    row = await fetch_one(tx, "MATCH (i:Import) RETURN collect(i.id) AS ids")
    return list(row["ids"]) if row else []


def _only_other(ids: list[str], result: writing.ImportResult) -> str:
    [other] = [i for i in ids if i != result.import_id]
    return other


async def test_a_member_running_the_most_imports_is_refused_another(db: Database) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    other = (await make_caller(db, "sales")).actor
    data = tickets_csv(props, account, ROWS).encode()
    paused = Paused()
    running = await _validated(db, data)
    a = asyncio.create_task(
        writing.write(db, actor, running, batch_size=10, progress=paused, max_running=1)
    )
    await paused.reached.wait()  # on another server, say: the cap is read from the database
    refused = await _validated(db, data)
    with pytest.raises(TooManyImports):
        await writing.write(db, actor, refused, max_running=1)
    by_other = await writing.write(db, other, refused, max_running=1)
    paused.go.set()
    assert (await a).status == by_other.status == "complete"
    running.close()
    refused.close()


async def test_an_older_import_takes_rows_from_a_younger_one_which_then_waits(
    db: Database,
) -> None:
    props, account = await ticket_model(db, pains=1)
    actor = (await make_caller(db, "success")).actor
    data = tickets_csv(props, account, ROWS)
    header, *rows = data.splitlines(keepends=True)
    backwards = (header + "".join(reversed(rows))).encode()
    first, second = Paused(), Paused()
    a_file, b_file = await _validated(db, data.encode()), await _validated(db, backwards)
    a = asyncio.create_task(writing.write(db, actor, a_file, batch_size=10, progress=first))
    await first.reached.wait()  # A (older) holds rows 0-9
    b = asyncio.create_task(writing.write(db, actor, b_file, batch_size=10, progress=second))
    await second.reached.wait()  # B (younger) wrote rows 29-20, which A has yet to reach
    first.go.set()
    a_result = await a  # A took rows 20-29 from B, which was alive but younger
    visible_at_a = await visible(db)
    second.go.set()
    b_result = await b  # B found its rows taken, checked them all again, and waited for A
    visible_at_b = await visible(db)
    a_file.close()
    b_file.close()
    assert (a_result.status, b_result.status) == ("complete", "complete")
    assert (visible_at_a, visible_at_b) == (ROWS, ROWS)
    assert await evidence_count(db) == ROWS
    taken = await db.read(
        fetch_one, "MATCH (i:Import {id: $id}) RETURN i.takeovers AS n", id=b_result.import_id
    )
    assert taken is not None and taken["n"] > 0
