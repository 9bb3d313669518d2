"""Schema migrations: apply the versioned statements of `schema.migrations` once each."""

from __future__ import annotations

from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph.kit.connection import Database, fetch_all
from schema.migrations import LATEST_VERSION, MIGRATIONS

APPLIED_VERSIONS = "MATCH (m:SchemaMigration) RETURN m.version AS version"
RECORD_VERSION = """
MERGE (m:SchemaMigration {version: $version})
ON CREATE SET m.description = $description, m.applied_at = $now
"""
ENTITY_COUNT = "MATCH (e:Entity) RETURN count(e) AS entities"


async def apply_migrations(db: Database) -> int:
    """Apply every migration not yet recorded; return the schema version.

    Schema statements cannot share a transaction with data writes in Neo4j, so each runs
    in its own (auto-commit) transaction; all are ``IF NOT EXISTS`` and safe to repeat.
    """
    rows = await db.read(fetch_all, APPLIED_VERSIONS)
    applied = {int(r["version"]) for r in rows}
    for migration in MIGRATIONS:
        if migration.version in applied:
            continue
        async with db.driver.session(database=db.name) as session:
            for statement in migration.statements:
                await session.run(statement)
            for statement in migration.data:  # batched: each commits as it goes
                await (await session.run(statement)).consume()
        await db.write(_record, migration.version, migration.description)
    return LATEST_VERSION


async def _record(tx: AsyncManagedTransaction, version: int, description: str) -> None:
    await tx.run(RECORD_VERSION, version=version, description=description, now=datetime.now(UTC))


async def schema_is_current(db: Database) -> bool:
    rows = await db.read(fetch_all, APPLIED_VERSIONS)
    return LATEST_VERSION in {int(r["version"]) for r in rows}


async def entity_count(db: Database) -> int:
    rows = await db.read(fetch_all, ENTITY_COUNT)
    return int(rows[0]["entities"])
