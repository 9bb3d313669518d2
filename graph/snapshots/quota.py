"""How many snapshots may be taken (each is a full copy of the model): a member's in any 24
hours and all stored, checked in the transaction that starts a new one. The CLI (the
``system`` actor) has no daily quota; the total binds every creation, so old snapshots are
deleted (by an admin) before the store grows past it. A restored file's snapshot is not
counted against anyone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from neo4j import AsyncManagedTransaction

from graph.kit.connection import fetch_one
from schema.models import Actor
from schema.settings import Settings
from schema.snapshots import SnapshotQuota, SnapshotQuotaUsed, SnapshotStoreFull

# Creations by one member queue here, so two at once cannot both take the last one.
LOCK_MEMBER = "MATCH (m:Member {id: $id}) SET m.lock_marker = true REMOVE m.lock_marker"

# Stored: complete snapshots (what an admin can delete). A member's day: every snapshot they
# started in the last 24 hours, finished or not.
USE = """
OPTIONAL MATCH (s:Snapshot)
RETURN count(CASE WHEN s.complete THEN 1 END) AS stored,
       count(CASE WHEN s.created_by = $actor_id AND s.created_at > $since THEN 1 END) AS today
"""


def quota_for(settings: Settings) -> SnapshotQuota:
    return SnapshotQuota(
        per_member_per_day=settings.snapshots_per_member_per_day, total=settings.max_snapshots
    )


async def check(
    tx: AsyncManagedTransaction, actor: Actor, quota: SnapshotQuota, now: datetime
) -> None:
    """Refuse a new snapshot past the member's daily quota or the stored total."""
    member = actor.member_id != Actor.system().member_id
    if member:
        await tx.run(LOCK_MEMBER, id=actor.member_id)
    row = await fetch_one(tx, USE, actor_id=actor.member_id, since=now - timedelta(days=1))
    stored, today = (int(row["stored"]), int(row["today"])) if row else (0, 0)
    if member and today >= quota.per_member_per_day:
        raise SnapshotQuotaUsed(actor.member_id, today, quota.per_member_per_day)
    if stored >= quota.total:
        raise SnapshotStoreFull(stored, quota.total)
