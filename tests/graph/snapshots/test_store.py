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
