"""Segments, the customer groups a workshop page looks at: the live ones to pick from."""

from __future__ import annotations

from datetime import datetime

from neo4j import AsyncManagedTransaction

from graph import entities
from schema.models import Entity
from schema.vocabulary import EntityKind


async def live_segments(tx: AsyncManagedTransaction, as_of: datetime, limit: int) -> list[Entity]:
    """The segments not retired at ``as_of``, oldest first, at most ``limit``."""
    found, _ = await entities.list_page(
        tx,
        kind=EntityKind.SEGMENT,
        search=None,
        as_of=as_of,
        include_retired=False,
        after=None,
        limit=limit,
    )
    return found
