"""Support counts ages to the microsecond and one source once: an account, a source key, or
an item with neither."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from analytics.support import beta_support
from analytics.weights import evidence_weight, noisy_or
from graph import evidence, support
from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import Database, fetch_all
from graph.support import SupportSettings
from schema.imports import ImportFormat
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.vocabulary import DEFAULT_RELIABILITY, Stance
from tests.factories import small_model

RELIABILITY = dict(DEFAULT_RELIABILITY)
T = datetime(2026, 6, 1, 12, 0, 0, 654_321, tzinfo=UTC)


def _ticket(pid: str, n: int, observed: datetime, key: str | None = None) -> EvidenceCreate:
    return EvidenceCreate(
        source_type="support_ticket",
        summary=f"ticket {n}",
        observed_at=observed,
        source_key=key,
        bears=[BearingCreate(proposition_id=pid, stance=Stance.SUPPORTS, strength=0.9)],
    )


async def _figures(db: Database, at: datetime) -> dict[str, support.Support]:
    return await db.read(support.support_for, SupportSettings(reliability=RELIABILITY), as_of=at)


async def test_ages_count_to_the_microsecond(db: Database) -> None:
    model = await small_model(db, account=None, pains=1, at=T - timedelta(days=400))
    (pid,) = model.experiences
    age = timedelta(days=200, seconds=0.75, microseconds=123)  # not whole seconds
    await db.write(evidence.add, Actor.system(), [_ticket(pid, 0, T - age)], T)

    found = (await _figures(db, T))[pid]

    exact = evidence_weight(0.6, 0.9, age / timedelta(days=1))
    # Cut to whole seconds the weight would be ~1e-8 relatively off; exact, it agrees to 1e-12.
    assert found.supporting == pytest.approx(exact, rel=1e-12, abs=0)
    whole_seconds = evidence_weight(0.6, 0.9, (age // timedelta(seconds=1)) / 86400)
    assert abs(found.supporting - whole_seconds) > 1e-12


async def test_one_source_key_is_one_source_however_many_tickets(db: Database) -> None:
    model = await small_model(db, account=None, pains=2, at=T - timedelta(days=400))
    keyed, lone = model.experiences
    observed = T - timedelta(days=1)
    loud = [
        _ticket(keyed, n, observed, key)
        for n, key in enumerate(["ada@example.com", "Ada@Example.com ", "ada@example.com"])
    ]
    other = _ticket(keyed, 3, observed, "bob@example.com")
    unkeyed = [_ticket(lone, n, observed) for n in range(3)]
    await db.write(evidence.add, Actor.system(), [*loud, other, *unkeyed], T)

    figures = await _figures(db, T)

    w = evidence_weight(0.6, 0.9, 1.0)
    # Ada's three tickets combine like one account's; Bob is a second source.
    assert figures[keyed].supporting == pytest.approx(noisy_or([w] * 3) + w, rel=1e-12)
    assert figures[keyed].distinct_sources == 2
    assert figures[keyed].distinct_accounts == 0
    # Items with neither an account nor a key each count as their own source.
    assert figures[lone].supporting == pytest.approx(3 * w, rel=1e-12)
    assert figures[lone].distinct_sources == 3
    assert figures[keyed].posterior == beta_support(
        figures[keyed].supporting, figures[keyed].contradicting
    )
    # Only an HMAC is stored: the address is nowhere in the database.
    stored = await db.read(
        fetch_all, "MATCH (ev:Evidence) RETURN ev.source_key AS key ORDER BY key"
    )
    keys = {row["key"] for row in stored}
    assert None in keys and len(keys) == 3
    assert all(k is None or ("@" not in k and len(k) == 64) for k in keys)


async def test_an_imported_source_key_column_makes_one_source(db: Database) -> None:
    model = await small_model(db, account=None, pains=1, at=T - timedelta(days=400))
    (pid,) = model.experiences
    rows = "".join(
        f"ticket {n},support_ticket,{pid},SUPPORTS,{key}\n"
        for n, key in enumerate(["ada@example.com", "ADA@example.com", "bob@example.com", ""])
    )
    body = ("summary,source_type,proposition_id,stance,source_key\n" + rows).encode()
    validated = await validation.validate(
        db, io.BytesIO(body), ImportFormat.CSV, ColumnMapping.parse(None)
    )
    try:
        result = await writing.write(db, Actor.system(), validated)
    finally:
        validated.close()
    assert result.created == 4

    found = (await _figures(db, datetime.now(UTC)))[pid]
    # Ada twice (one source), Bob, and the row without a key: three sources.
    assert found.distinct_sources == 3 and found.evidence_count == 4
