"""The demo company shows every kind of divergence (seed_data/README.md, as of 2026-11-22)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from graph import seeding
from graph.divergence import (
    EngineSettings,
    alignment,
    assumption_debt,
    belief_gaps,
    blind_spots,
    disagreements,
    duplicates,
    load_picture,
    priority_alignment,
    structural_gaps,
)
from graph.kit.connection import Database
from schema.divergence import GapDirection, StructuralGapKind
from schema.vocabulary import Relation

AS_OF = datetime(2026, 11, 22, tzinfo=UTC)
SETTINGS = EngineSettings()
OPS = "seg-mid-market-ops"


async def test_the_demo_exhibits_every_divergence_kind(db: Database) -> None:
    await seeding.load_demo(db)
    picture = await db.read(load_picture, SETTINGS, as_of=AS_OF)

    # 1. Belief gaps: the planted ones lead the ranking.
    gaps = belief_gaps(picture, significant_only=True)
    assert len(gaps) == 89
    top = [(g.function, g.proposition.subject.id, g.proposition.object.id) for g in gaps[:3]]
    assert top == [
        ("sales", OPS, "alt-glasswing-bi"),
        ("engineering", OPS, "pain-slow-onboarding"),
        ("marketing", OPS, "goal-act-on-live-data"),
    ]
    assert gaps[0].gap == pytest.approx(0.86, abs=0.01)
    assert gaps[0].direction is GapDirection.OVER_CONFIDENT
    assert gaps[1].direction is GapDirection.UNDER_CONFIDENT
    assert gaps[0].evidence.evidence_ids and gaps[0].evidence.newest_evidence_at is not None
    assert {b.function for b in gaps[0].beliefs} >= {"sales", "marketing", "design"}

    # 2. Disagreements: spread >= 0.4 (0.85 vs 0.45 counts, whatever binary rounding says).
    contested = disagreements(picture, contested_only=True)
    assert len(contested) == 28
    live = next(d for d in contested if d.proposition.object.id == "goal-act-on-live-data")
    assert (live.highest.function, live.highest.p) == ("marketing", 0.9)

    # 3. Blind spots.
    marketing = {
        (b.proposition.subject.id, b.proposition.object.id)
        for b in blind_spots(picture, "marketing")
    }
    assert (OPS, "pain-slow-onboarding") in marketing
    engineering = {b.proposition.object.id for b in blind_spots(picture, "engineering")}
    assert {"alt-spreadsheets", "alt-glasswing-bi"} <= engineering

    # 4. Assumption debt.
    debt = {
        (d.function, d.proposition.subject.id, d.proposition.object.id)
        for d in assumption_debt(picture)
    }
    assert ("product", "feat-integration-marketplace", "pain-missing-integrations") in debt
    assert ("sales", "claim-half-price-glasswing", "alt-glasswing-bi") in debt

    # 5. Priority alignment of ops pains (README: product +0.14, marketing -0.67, ...).
    ops = await db.read(load_picture, SETTINGS, as_of=AS_OF, segment_id=OPS)
    pains = priority_alignment(ops, Relation.EXPERIENCES)
    taus = {r.a: r.tau for r in pains.with_evidence}
    assert taus["product"] == pytest.approx(0.14, abs=0.01)
    assert taus["marketing"] == pytest.approx(-0.67, abs=0.01)
    assert taus["engineering"] == pytest.approx(-0.74, abs=0.01)
    assert taus["success"] == pytest.approx(0.64, abs=0.01)
    assert any(r.tau is not None for r in pains.between_functions)

    # 6. Alignment index: overall and per segment, with its interval.
    overall = alignment(picture)
    assert overall.alpha is not None and overall.units >= 5
    assert overall.alpha_low is not None and overall.alpha_high is not None
    assert overall.alpha_low <= overall.alpha <= overall.alpha_high
    assert len(overall.pairwise) == 21
    assert alignment(ops).alpha is not None

    # 7. Structural gaps: every kind.
    found = {(g.kind, g.entity.id) for g in structural_gaps(picture)}
    for expected in [
        (StructuralGapKind.UNRELIEVED_PAIN, "pain-slow-onboarding"),
        (StructuralGapKind.UNRELIEVED_PAIN, "pain-numbers-dont-match"),
        (StructuralGapKind.UNBACKED_PROMISE, "claim-live-in-minutes"),
        (StructuralGapKind.UNBACKED_PROMISE, "claim-one-source-of-truth"),
        (StructuralGapKind.UNSUPPORTED_PROMISE, "claim-realtime-decisions"),
        (StructuralGapKind.UNSUPPORTED_PROMISE, "claim-connect-everything"),
        (StructuralGapKind.FEATURE_WITHOUT_VALIDATED_VALUE, "feat-live-dashboards"),
        (StructuralGapKind.FEATURE_WITHOUT_VALIDATED_VALUE, "feat-integration-marketplace"),
        (StructuralGapKind.UNBEATEN_ALTERNATIVE, "alt-spreadsheets"),
    ]:
        assert expected in found, expected

    # 8. Duplicates across teams, at the default threshold.
    pairs = await db.read(duplicates, as_of=AS_OF, min_similarity=SETTINGS.duplicate_min_similarity)
    assert [{p.a.entity.id, p.b.entity.id} for p in pairs] == [
        {"feat-scheduled-pdf-reports", "feat-automated-report-emailing"}
    ]
    assert {pairs[0].a.created_by_function, pairs[0].b.created_by_function} == {
        "product",
        "engineering",
    }
