"""Support figures list evidence newest first, each item once, at most 20, counting all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph import evidence, support
from graph.kit.connection import Database
from graph.support import EVIDENCE_IDS_LIMIT, SupportSettings
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.vocabulary import DEFAULT_RELIABILITY, Stance
from tests.factories import small_model


async def _two_propositions(db: Database) -> tuple[str, str]:
    model = await small_model(
        db,
        segment="Agencies",
        account=None,
        pains=["Client reporting eats Mondays", "Exports break"],
    )
    return model.experiences[0], model.experiences[1]


async def test_newest_first_ties_by_id_each_once_capped_at_twenty(db: Database) -> None:
    busy, quiet = await _two_propositions(db)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # 25 items observed in pairs at the same instant, so ties are decided by id; both stances.
    items = [
        EvidenceCreate(
            source_type="interview",
            summary=f"call {n}",
            observed_at=start + timedelta(hours=n // 2),
            bears=[
                BearingCreate(
                    proposition_id=busy, stance=Stance.SUPPORTS if n % 3 else Stance.CONTRADICTS
                )
            ],
        )
        for n in range(25)
    ]
    written = await db.write(evidence.add, Actor.system(), items, datetime.now(UTC))
    ids = [item_id for item_id, _ in written]
    observed = {item_id: items[n].observed_at for n, item_id in enumerate(ids)}

    figures = await db.read(
        support.support_for,
        SupportSettings(reliability=dict(DEFAULT_RELIABILITY)),
        as_of=datetime.now(UTC),
    )

    expected = sorted(ids, key=lambda i: (observed[i], i), reverse=True)
    assert figures[busy].evidence_count == 25
    assert list(figures[busy].evidence_ids) == expected[:EVIDENCE_IDS_LIMIT]
    assert figures[busy].newest_evidence_at == max(observed.values())
    assert figures[quiet].evidence_count == 0
    assert figures[quiet].evidence_ids == ()
    assert figures[quiet].newest_evidence_at is None
