"""Writing a validated import: its rows in batches under an ``(:Import)`` node that makes
them count only once it completes, under a lease (``leases``): rows another import is still
writing are left to it, and the import completes only once every one of its rows is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import audit, evidence, model_version, propositions
from graph.imports import leases
from graph.imports.validation import ValidatedImport
from graph.kit import keys
from graph.kit.connection import Database, fetch_one
from schema.imports import ImportFormat, ImportOutcome, TooManyImports
from schema.members import ViewerCannotWrite
from schema.models import Actor, EvidenceCreate

BATCH_SIZE = 1000
# How long an import's rows stay its own after its process last renewed its lease.
LEASE_S = 30.0

CREATE_IMPORT = """
CREATE (i:Import {id: $id, status: 'running', created_at: $now, created_by: $actor_id,
                  function: $function, rows: $rows, format: $format,
                  lease_until: $lease_until, takeovers: 0})
"""

# The member's imports still writing, on any server (each server also caps its own: slots.py).
RUNNING_FOR_MEMBER = """
MATCH (i:Import {created_by: $actor_id, status: 'running'}) WHERE i.lease_until >= $now
RETURN count(i) AS running
"""

# Taken first, so that a take-over of this import's rows (``leases.CLAIM``) either comes
# before the count below or sees the import completed. (The right-hand side reads the
# property it sets: Cypher takes the write lock before that read.)
LOCK_IMPORT = """
MATCH (i:Import {id: $id}) SET i.takeovers = coalesce(i.takeovers, 0)
RETURN i.takeovers AS takeovers
"""

COMPLETE_IMPORT = """
MATCH (i:Import {id: $id}) WHERE i.completed_at IS NULL AND i.takeovers = $takeovers
SET i.status = 'complete', i.completed_at = $now, i.created = $created,
    i.already_present = $already_present, i.duplicates = $duplicates
REMOVE i.lease_until
RETURN i.id AS id
"""

# Failed: its rows are given up at once (``leases``), for a resend to take over.
FAIL_IMPORT = """
MATCH (i:Import {id: $id}) WHERE i.completed_at IS NULL
SET i.status = 'failed', i.failed_at = $now, i.error = $error
"""

GET_IMPORT = """
MATCH (i:Import {id: $id})
RETURN i {.*, status: CASE WHEN i.status = 'running' AND coalesce(i.lease_until < $now, true)
                           THEN 'interrupted' ELSE i.status END} AS import
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
    lease_s: float,
    max_running: int | None,
) -> None:
    await leases.expire(tx, now)
    if max_running is not None:
        found = await fetch_one(tx, RUNNING_FOR_MEMBER, actor_id=actor.member_id, now=now)
        if found is not None and found["running"] >= max_running:
            raise TooManyImports(actor.member_id, max_running)
    await tx.run(
        CREATE_IMPORT,
        lease_until=leases.until(now, lease_s),
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
    items: list[tuple[EvidenceCreate, bool]],
    live_ids: dict[str, str],
    started: datetime,
    key_scope: str,
) -> tuple[int, int, leases.Claimed]:
    """Write one batch; return (created, already present, what the claim found)."""
    # Resolved again, and locked, in the batch's own transaction: a proposition merged since
    # the file was validated takes the rows on its survivor instead of stranding them.
    named = sorted({b.proposition_id for item, _ in items for b in item.bears})
    found = await propositions.live_ids_locked(tx, named)
    live_ids = {**live_ids, **{pid: live.id for pid, live in found.items()}}
    rows = [
        evidence.prepare_row(
            n, item, live_ids, actor, started, import_id, key_scope=key_scope, key_given=given
        )
        for n, (item, given) in enumerate(items)
    ]
    written = await evidence.write_rows(tx, actor, rows, started)
    present = [
        str(row["props"]["idempotency_key"])
        for row, (_, was_created) in zip(rows, written, strict=True)
        if not was_created
    ]
    claimed = await leases.claim(tx, import_id, started, present, datetime.now(UTC))
    return len(written) - len(present), len(present), claimed


async def _claim_again(
    db: Database,
    import_id: str,
    validated: ValidatedImport,
    started: datetime,
    batch_size: int,
    key_scope: str,
) -> leases.Claimed:
    """Check every row of the file again: rows taken from us are taken back or waited for."""
    claimed = leases.Claimed()
    for batch in validated.batches(batch_size):
        stored = [str(keys.scoped(key_scope, item.idempotency_key)) for item in batch]
        claimed.merge(await db.write(leases.claim, import_id, started, stored, datetime.now(UTC)))
    return claimed


async def _complete(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    counts: tuple[int, int, int, int],
    takeovers: int,
    now: datetime,
) -> tuple[bool, int]:
    """Complete the import unless a row was taken from it since it last checked them all;
    return whether it completed, and how many take-overs of its rows there were."""
    created, already_present, duplicates, rows = counts
    locked = await fetch_one(tx, LOCK_IMPORT, id=import_id)
    seen = int(locked["takeovers"]) if locked else takeovers
    if seen != takeovers:
        return False, seen
    done = await fetch_one(
        tx,
        COMPLETE_IMPORT,
        id=import_id,
        takeovers=takeovers,
        now=now,
        created=created,
        already_present=already_present,
        duplicates=duplicates,
    )
    if done is None:
        return False, seen
    await audit.record(
        tx,
        actor,
        "importEvidence",
        [import_id],
        now,
        f"{rows} row(s): {created} created, {already_present} already present",
        change=model_version.from_import(import_id),  # its items count from now on
    )
    return True, seen


async def _fail(tx: AsyncManagedTransaction, import_id: str, error: str, now: datetime) -> None:
    await tx.run(FAIL_IMPORT, id=import_id, now=now, error=error[:500])


async def write(
    db: Database,
    actor: Actor,
    validated: ValidatedImport,
    *,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    lease_s: float = LEASE_S,
    global_keys: bool = False,
    max_running: int | None = None,
) -> ImportResult:
    """Write a validated file in batches under a new Import; visible once it completes, and
    answered only once every one of its rows is visible.

    Row keys belong to the actor's function (another function importing the same file
    writes its own items) unless ``global_keys``: the keys are then derived by the product
    from an outside record (an import preset's record id) and mean that record whoever
    imports it, so two teams importing the same export count each record once. With
    ``max_running``, an import is refused (TooManyImports) while the actor already runs that
    many."""
    if not actor.can_write:
        raise ViewerCannotWrite(actor.member_id, "import evidence")
    import_id = f"import-{uuid.uuid4().hex[:16]}"
    started = datetime.now(UTC)
    await db.write(
        _create_import,
        actor,
        import_id,
        validated.rows,
        validated.format,
        started,
        lease_s,
        max_running,
    )
    key_scope = keys.GLOBAL if global_keys else keys.scope_of(actor.function)
    created = already_present = done = 0
    claimed = leases.Claimed()
    try:
        async with leases.held(db, import_id, lease_s):
            for batch in validated.keyed_batches(batch_size):
                made, present, found = await db.write(
                    _write_batch, actor, import_id, batch, validated.live_ids, started, key_scope
                )
                created += made
                already_present += present
                claimed.merge(found)
                done += len(batch)
                if progress is not None:
                    await progress(done, validated.distinct)
            counts = (created, already_present, validated.duplicates, validated.rows)
            checked = 0  # the take-overs of our rows that the last check saw
            while True:
                await leases.wait_for_holders(db, import_id, started, claimed.waiting)
                (completed, checked), bookmarks = await db.write_with_bookmark(
                    _complete, actor, import_id, counts, checked, datetime.now(UTC)
                )
                if completed:
                    break
                claimed = await _claim_again(
                    db, import_id, validated, started, batch_size, key_scope
                )
    except BaseException as error:
        # Best effort: the rows written so far stay invisible, and are given up at once for
        # a resend to take over (a process that dies gives them up when its lease runs out).
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
    """An import as stored; one whose lease ran out before it completed is ``interrupted``."""
    row = await fetch_one(tx, GET_IMPORT, id=import_id, now=datetime.now(UTC))
    return None if row is None else dict(row["import"])
