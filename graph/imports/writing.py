"""Writing a validated import: its rows in batches under an ``(:Import)`` node that makes
them count only once it completes, rows left by an unfinished import taken over, and the
``Import`` node read back."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, evidence, propositions
from graph.imports.validation import ValidatedImport
from graph.kit.connection import Database, fetch_one
from schema.imports import ImportFormat, ImportOutcome
from schema.members import ViewerCannotWrite
from schema.models import Actor, EvidenceCreate

BATCH_SIZE = 1000

CREATE_IMPORT = """
CREATE (i:Import {id: $id, status: 'running', created_at: $now, created_by: $actor_id,
                  function: $function, rows: $rows, format: $format})
"""

COMPLETE_IMPORT = """
MATCH (i:Import {id: $id})
SET i.status = 'complete', i.completed_at = $now, i.created = $created,
    i.already_present = $already_present, i.duplicates = $duplicates
"""

FAIL_IMPORT = """
MATCH (i:Import {id: $id}) WHERE i.completed_at IS NULL
SET i.status = 'failed', i.failed_at = $now, i.error = $error
"""

GET_IMPORT = "MATCH (i:Import {id: $id}) RETURN i {.*} AS import"

# Rows written by an import that never completed are invisible; the import that writes the
# same rows again takes them over, so they become visible when it completes.
ADOPT_UNFINISHED = """
UNWIND $keys AS key
MATCH (ev:Evidence)
// A seek, said explicitly: without a hint the planner may scan every imported item for each
// key (seen: 9M db hits and 26 s for 1,000 keys beside 3,000 unfinished rows), and with a
// plain USING INDEX it chose a scan of the whole key index per key, which made imports
// slower the more keyed evidence the graph held (bench a: 2 s or 21 s for one file).
USING INDEX SEEK ev:Evidence(idempotency_key)
WHERE ev.idempotency_key = key AND ev.import_id IS NOT NULL AND ev.import_id <> $import_id
  AND NOT EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at IS NOT NULL }
SET ev.import_id = $import_id
RETURN count(ev) AS adopted
"""


class ImportResult(ImportOutcome):
    """What an import wrote, and the bookmarks a reader sends to see it on a cluster."""

    bookmarks: list[str]


ProgressCallback = Callable[[int, int], Awaitable[None]]


async def _create_import(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    rows: int,
    fmt: ImportFormat,
    now: datetime,
) -> None:
    await tx.run(
        CREATE_IMPORT,
        id=import_id,
        now=now,
        actor_id=actor.member_id,
        function=actor.function,
        rows=rows,
        format=fmt.value,
    )


async def _write_batch(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    items: list[EvidenceCreate],
    live_ids: dict[str, str],
    started: datetime,
) -> tuple[int, int]:
    """Write one batch; return (created, already present)."""
    # Resolved again, and locked, in the batch's own transaction: a proposition merged since
    # the file was validated takes the rows on its survivor instead of stranding them.
    named = sorted({b.proposition_id for item in items for b in item.bears})
    found = await propositions.live_ids_locked(tx, named)
    live_ids = {**live_ids, **{pid: live.id for pid, live in found.items()}}
    keys = [item.idempotency_key for item in items]
    await tx.run(ADOPT_UNFINISHED, keys=keys, import_id=import_id)
    rows = [
        evidence.prepare_row(n, item, live_ids, actor, started, import_id)
        for n, item in enumerate(items)
    ]
    written = await evidence.write_rows(tx, actor, rows, started)
    created = sum(1 for _, was_created in written if was_created)
    return created, len(written) - created


async def _complete(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    created: int,
    already_present: int,
    duplicates: int,
    rows: int,
    now: datetime,
) -> None:
    await tx.run(
        COMPLETE_IMPORT,
        id=import_id,
        now=now,
        created=created,
        already_present=already_present,
        duplicates=duplicates,
    )
    await audit.record(
        tx,
        actor,
        "importEvidence",
        [import_id],
        now,
        f"{rows} row(s): {created} created, {already_present} already present",
    )


async def _fail(tx: AsyncManagedTransaction, import_id: str, error: str, now: datetime) -> None:
    await tx.run(FAIL_IMPORT, id=import_id, now=now, error=error[:500])


async def write(
    db: Database,
    actor: Actor,
    validated: ValidatedImport,
    *,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Write a validated file in batches under a new Import; visible once it completes."""
    if not actor.can_write:
        raise ViewerCannotWrite(actor.member_id, "import evidence")
    import_id = f"import-{uuid.uuid4().hex[:16]}"
    started = datetime.now(UTC)
    await db.write(_create_import, actor, import_id, validated.rows, validated.format, started)
    created = already_present = done = 0
    try:
        for batch in validated.batches(batch_size):
            made, present = await db.write(
                _write_batch, actor, import_id, batch, validated.live_ids, started
            )
            created += made
            already_present += present
            done += len(batch)
            if progress is not None:
                await progress(done, validated.distinct)
        _, bookmarks = await db.write_with_bookmark(
            _complete,
            actor,
            import_id,
            created,
            already_present,
            validated.duplicates,
            validated.rows,
            datetime.now(UTC),
        )
    except BaseException as error:
        # Best effort: the rows written so far stay invisible; a resend takes them over.
        with contextlib.suppress(Exception):
            await asyncio.shield(
                db.write(_fail, import_id, f"{type(error).__name__}: {error}", datetime.now(UTC))
            )
        raise
    return ImportResult(
        import_id=import_id,
        status="complete",
        rows=validated.rows,
        created=created,
        already_present=already_present,
        duplicates=validated.duplicates,
        bookmarks=bookmarks,
    )


async def get(tx: AsyncManagedTransaction, import_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, GET_IMPORT, id=import_id)
    return None if row is None else dict(row["import"])
