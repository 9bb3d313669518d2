"""Creating snapshots: idempotent by key, never as of a future time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from schema.errors import BadInput
from schema.models import Actor
from tests.graph.snapshots.factories import no_figures


async def test_the_same_idempotency_key_returns_the_first_snapshot(db: Database) -> None:
    first, created = await snapshots.create(
        db, Actor.system(), no_figures, label="a", idempotency_key="k-1"
    )
    again, created_again = await snapshots.create(
        db, Actor.system(), no_figures, label="b", idempotency_key="k-1"
    )
    assert created and not created_again
    assert again.id == first.id and again.label == "a"
    with pytest.raises(BadInput, match="future"):
        await snapshots.create(
            db, Actor.system(), no_figures, as_of=datetime.now(UTC) + timedelta(days=1)
        )


async def test_a_retry_gets_its_snapshot_past_the_quota_and_a_new_one_is_refused(
    db: Database,
) -> None:
    from graph import members
    from schema.snapshots import SnapshotQuota, SnapshotQuotaUsed, SnapshotStoreFull
    from schema.vocabulary import Role

    now = datetime.now(UTC)
    member = await db.write(members.add, Actor.system(), "Ann", "product", Role.CONTRIBUTOR, now)
    ann = Actor(member_id=member.id, name="Ann", function="product", role=Role.CONTRIBUTOR)
    quota = SnapshotQuota(per_member_per_day=1, total=2)
    first, _ = await snapshots.create(db, ann, no_figures, idempotency_key="k-1", quota=quota)
    again, created = await snapshots.create(db, ann, no_figures, idempotency_key="k-1", quota=quota)
    assert again.id == first.id and not created
    with pytest.raises(SnapshotQuotaUsed, match="limit is 1"):
        await snapshots.create(db, ann, no_figures, idempotency_key="k-2", quota=quota)
    # The command line has no daily quota, only the total.
    await snapshots.create(db, Actor.system(), no_figures, quota=quota)
    with pytest.raises(SnapshotStoreFull, match="limit is 2"):
        await snapshots.create(db, Actor.system(), no_figures, quota=quota)
