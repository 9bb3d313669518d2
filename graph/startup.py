"""Start-up work on the database: the schema's migrations, then the default functions."""

from __future__ import annotations

from datetime import UTC, datetime

from neo4j import AsyncManagedTransaction

from graph import functions, model_version
from graph.kit.connection import Database
from graph.kit.migrations import apply_migrations


async def apply_schema(db: Database) -> int:
    """Apply every migration not yet recorded, then the default functions; return the version.

    Safe to repeat: migrations are recorded once applied and the functions are merged.
    """
    version = await apply_migrations(db)
    await db.write(_defaults)
    return version


async def _defaults(tx: AsyncManagedTransaction) -> None:
    await functions.ensure_defaults(tx, datetime.now(UTC))
    await model_version.ensure_counters(tx)
