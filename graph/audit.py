"""The audit log: every write records who (member and function), what and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import model_version
from graph.kit.connection import fetch_all
from graph.model_version import ModelChange
from schema.models import Actor

RECORD_AUDIT = """
CREATE (a:AuditEntry {
  id: $id, at: $at, member_id: $member_id, function: $function, role: $role,
  action: $action, target_ids: $target_ids, detail: $detail
})
"""

# The entry and the model-version bump as one statement: one round trip fewer for every
# write (a batch of 500 items spends ~5 ms of its transaction on each; docs/benchmarks.md).
RECORD_AUDIT_AND_BUMP = RECORD_AUDIT + "WITH count(a) AS recorded\n" + model_version.BUMP

LIST_AUDIT = """
MATCH (a:AuditEntry)
WHERE ($member_id IS NULL OR a.member_id = $member_id)
  AND ($action IS NULL OR a.action = $action)
  AND ($before IS NULL
       OR [a.at.epochSeconds, a.at.nanosecond, a.id]
          < [$before.epochSeconds, $before.nanosecond, coalesce($before_id, '')])
RETURN a {.*} AS entry
ORDER BY a.at.epochSeconds DESC, a.at.nanosecond DESC, a.id DESC
LIMIT $limit
"""


async def record(
    tx: AsyncManagedTransaction,
    actor: Actor,
    action: str,
    target_ids: list[str],
    now: datetime,
    detail: str | None = None,
    *,
    change: ModelChange = model_version.EVERYTHING,
) -> None:
    """Record a write and, as the transaction's last model statement, tell readers of the
    shared model what it changed (``change``; a write that cannot say changed everything)."""
    await tx.run(*statement(actor, action, target_ids, now, detail, change=change))


def statement(
    actor: Actor,
    action: str,
    target_ids: list[str],
    now: datetime,
    detail: str | None = None,
    *,
    change: ModelChange = model_version.EVERYTHING,
) -> tuple[str, dict[str, Any]]:
    """The statement ``record`` runs, with its parameters."""
    entry = {
        "id": f"audit-{uuid.uuid4().hex}",
        "at": now,
        "member_id": actor.member_id,
        "function": actor.function,
        "role": actor.role.value,
        "action": action,
        "target_ids": target_ids,
        "detail": detail,
    }
    if change.is_nothing:
        return RECORD_AUDIT, entry
    return RECORD_AUDIT_AND_BUMP, {**entry, **model_version.bump_parameters(change)}


async def list_entries(
    tx: AsyncManagedTransaction,
    *,
    member_id: str | None,
    action: str | None,
    before: datetime | None,
    limit: int,
    before_id: str | None = None,
) -> list[dict[str, Any]]:
    """Entries newest first; ``before``/``before_id`` continue after an entry (ties on time)."""
    rows = await fetch_all(
        tx,
        LIST_AUDIT,
        member_id=member_id,
        action=action,
        before=before,
        before_id=before_id,
        limit=limit,
    )
    return [row["entry"] for row in rows]
