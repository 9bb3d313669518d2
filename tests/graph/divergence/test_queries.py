"""The divergence queries as pure functions over hand-made Pictures (no database)."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta, kendalltau

from graph.divergence import (
    EngineSettings,
    alignment,
    assumption_debt,
    belief_gaps,
    belief_matrix,
    blind_spots,
    disagreements,
    duplicate_pairs,
    priority_alignment,
    segment_report,
    structural_gaps,
)
from schema.divergence import (
    DuplicateEntity,
    GapDirection,
    StructuralGapKind,
)
from schema.errors import BadInput, NotFound
from schema.vocabulary import EntityKind, Relation, SupportStatus
from tests.graph.divergence.helpers import Model, T, entity

OPS = entity("seg-ops", EntityKind.SEGMENT)
AGENCY = entity("seg-agency", EntityKind.SEGMENT)
ONBOARDING = entity("pain-onboarding", EntityKind.PAIN)
STALE = entity("pain-stale", EntityKind.PAIN)
MANUAL = entity("pain-manual", EntityKind.PAIN)
LIVE = entity("goal-live", EntityKind.GOAL)
SHEETS = entity("alt-sheets", EntityKind.ALTERNATIVE)


# ----------------------------------------------------------------------------- belief gaps


def test_gap_is_p_minus_the_evidence_confidence_and_needs_evidence_mass_one() -> None:
    m = Model()
    strong = m.add(OPS, Relation.EXPERIENCES, ONBOARDING, s=3.2, c=0.4)
    thin = m.add(OPS, Relation.EXPERIENCES, STALE, s=0.6, c=0.39)
    m.believe(strong, "engineering", 0.3, magnitude=4)
    m.believe(thin, "marketing", 0.85, magnitude=5)
    gaps = belief_gaps(m.picture())
    assert [(g.function, g.proposition.id) for g in gaps] == [("engineering", strong)]
    [gap] = gaps
    confidence = float(beta.sf(0.5, 1 + 3.2, 1 + 0.4))
    assert gap.confidence == pytest.approx(confidence, abs=1e-12)
    assert gap.gap == pytest.approx(0.3 - confidence, abs=1e-12)
    assert gap.direction is GapDirection.UNDER_CONFIDENT and gap.significant
    assert gap.evidence.evidence_ids and gap.evidence.supporting_weight == 3.2
    assert gap.evidence.interval_low == pytest.approx(beta.ppf(0.05, 4.2, 1.4), abs=1e-9)
    assert gap.evidence.interval_high == pytest.approx(beta.ppf(0.95, 4.2, 1.4), abs=1e-9)
    assert [b.function for b in gap.beliefs] == ["engineering"]
    # The thin proposition is assumption debt instead.
    assert [(d.function, d.proposition.id) for d in assumption_debt(m.picture())] == [
        ("marketing", thin)
    ]


def test_gaps_are_signed_flagged_and_ranked_by_gap_times_consensus_magnitude() -> None:
    m = Model()
    a = m.add(OPS, Relation.EXPERIENCES, ONBOARDING, s=1.0)  # confidence 0.75
    b = m.add(OPS, Relation.EXPERIENCES, MANUAL, c=1.0)  # confidence 0.25
    m.believe(a, "product", 0.95, magnitude=2)
    m.believe(a, "sales", 0.55, magnitude=5)
    m.believe(a, "design", 0.5, magnitude=4)
    m.believe(b, "product", 0.45)
    gaps = belief_gaps(m.picture())
    by_key = {(g.proposition.id, g.function): g for g in gaps}
    assert by_key[(a, "product")].consensus_magnitude == 4.0  # median of 2, 4, 5
    assert by_key[(b, "product")].consensus_magnitude == 3.0  # none given
    assert by_key[(a, "product")].direction is GapDirection.OVER_CONFIDENT
    assert by_key[(a, "design")].gap == pytest.approx(-0.25)
    assert by_key[(a, "design")].significant  # |gap| = 0.25 is significant
    assert not by_key[(a, "sales")].significant
    assert not by_key[(b, "product")].significant  # gap 0.2
    scores = [g.rank_score for g in gaps]
    assert scores == sorted(scores, reverse=True)
    assert gaps[0].function == "design" and gaps[0].rank_score == pytest.approx(1.0)
    assert [g.function for g in belief_gaps(m.picture(), "sales")] == ["sales"]
    assert {g.function for g in belief_gaps(m.picture(), significant_only=True)} == {"design"}
    with pytest.raises(NotFound):
        belief_gaps(m.picture(), "finance")


@settings(max_examples=60, deadline=None)
@given(
    s=st.floats(0, 30),
    c=st.floats(0, 30),
    ps=st.lists(st.floats(0, 1), min_size=1, max_size=7),
)
def test_gap_rows_follow_the_definition(s: float, c: float, ps: list[float]) -> None:
    m = Model()
    pid = m.add(OPS, Relation.USES, SHEETS)
    m.evidence(pid, s, c)
    functions = ["product", "marketing", "sales", "success", "design", "engineering", "leadership"]
    for function, p in zip(functions, ps, strict=False):
        m.believe(pid, function, p)
    gaps = belief_gaps(m.picture())
    if s + c < 1:
        assert gaps == []
        return
    confidence = float(beta.sf(0.5, 1 + s, 1 + c))
    assert len(gaps) == len(ps)
    for g in gaps:
        assert g.gap == pytest.approx(g.p - confidence, abs=1e-9)
        assert g.rank_score == pytest.approx(abs(g.gap) * 3.0, abs=1e-9)


# ----------------------------------------------------------------------------- disagreement


def test_disagreement_spread_and_population_sd() -> None:
    m = Model()
    a = m.add(OPS, Relation.PURSUES, LIVE)
    b = m.add(OPS, Relation.USES, SHEETS)
    lone = m.add(OPS, Relation.EXPERIENCES, STALE)
    for function, p in [("marketing", 0.9), ("success", 0.2), ("product", 0.6)]:
        m.believe(a, function, p)
    m.believe(b, "sales", 0.3)
    m.believe(b, "design", 0.7)
    m.believe(lone, "marketing", 0.85)
    rows = disagreements(m.picture())
    assert [r.proposition.id for r in rows] == [a, b]  # one belief is no disagreement
    first, second = rows
    assert first.spread == pytest.approx(0.7)
    assert first.standard_deviation == pytest.approx(float(np.std([0.9, 0.2, 0.6])))
    assert first.highest.function == "marketing" and first.lowest.function == "success"
    assert first.contested
    assert second.contested, "0.3 against 0.7 is a spread of 0.4, however binary rounds it"
    m.settings = EngineSettings(contested_spread=0.5)
    assert [r.contested for r in disagreements(m.picture())] == [True, False]
    assert [r.proposition.id for r in disagreements(m.picture(), contested_only=True)] == [a]
    assert [r.proposition.id for r in disagreements(m.picture(), "sales")] == [b]


# ----------------------------------------------------------------------------- blind spots


def test_blind_spots_are_validated_or_refuted_propositions_a_function_ignores() -> None:
    m = Model()
    validated = m.add(OPS, Relation.EXPERIENCES, ONBOARDING, s=6.0)
    refuted = m.add(OPS, Relation.PURSUES, LIVE, c=5.0)
    unknown = m.add(OPS, Relation.EXPERIENCES, STALE, s=0.5)
    m.believe(validated, "success", 0.95)
    picture = m.picture()
    assert picture.evidence(validated).status is SupportStatus.VALIDATED
    assert picture.evidence(refuted).status is SupportStatus.REFUTED
    spots = blind_spots(picture, "marketing")
    assert {s.proposition.id for s in spots} == {validated, refuted}
    assert unknown not in {s.proposition.id for s in spots}
    assert [s.proposition.id for s in blind_spots(picture, "success")] == [refuted]
    with pytest.raises(NotFound):
        blind_spots(picture, "nobody")


# ----------------------------------------------------------------------------- assumption debt


def test_assumption_debt_is_strong_belief_on_thin_evidence_weighted_by_magnitude() -> None:
    m = Model()
    thin = m.add(OPS, Relation.EXPERIENCES, STALE, s=0.5, c=0.2)
    bare = m.add(OPS, Relation.PURSUES, LIVE)
    known = m.add(OPS, Relation.EXPERIENCES, ONBOARDING, s=2.0)
    m.believe(thin, "marketing", 0.7, magnitude=2)  # exactly the threshold: strong
    m.believe(thin, "design", 0.5, magnitude=5)  # not strong
    m.believe(bare, "engineering", 0.3)  # strong disbelief, magnitude 3 by default
    m.believe(bare, "leadership", 0.95, magnitude=5)
    m.believe(known, "product", 0.9, magnitude=5)  # evidenced: a belief gap, not debt
    rows = assumption_debt(m.picture())
    assert [(r.function, r.weight) for r in rows] == [
        ("leadership", 5.0),
        ("engineering", 3.0),
        ("marketing", 2.0),
    ]
    assert rows[1].magnitude is None and rows[1].p == 0.3
    assert [r.function for r in assumption_debt(m.picture(), "marketing")] == ["marketing"]


# ----------------------------------------------------------------------------- priority alignment


def test_priority_alignment_matches_scipy_over_the_items_both_rank() -> None:
    m = Model()
    pains = [entity(f"pain-{n}", EntityKind.PAIN) for n in range(5)]
    # Evidence scores: max(S - C, 0) x mean magnitude.
    evidence = [(4.0, 0.0, 5.0), (3.0, 1.0, 4.0), (1.0, 2.0, 3.0), (2.0, 0.0, 1.0), None]
    pids = []
    for pain, figures in zip(pains, evidence, strict=True):
        pid = m.add(OPS, Relation.EXPERIENCES, pain)
        if figures:
            m.evidence(pid, *figures)
        pids.append(pid)
    other = m.add(AGENCY, Relation.EXPERIENCES, pains[0], s=9.0)  # another segment's
    product = [(0.9, 5), (0.5, 2), (0.8, 5), (0.6, None), (0.9, 5)]
    for pid, (p, magnitude) in zip(pids, product, strict=True):
        m.believe(pid, "product", p, magnitude)
    for pid, p in zip(pids[:2], [0.9, 0.3], strict=True):
        m.believe(pid, "sales", p, 4)
    m.believe(other, "sales", 0.1, 1)
    scope = [*pids, other]
    picture = m.picture(segment=OPS, scope=[p for p in scope if p != other])
    result = priority_alignment(picture, Relation.EXPERIENCES)
    assert [i.proposition.id for i in result.items] == [pids[n] for n in (0, 1, 3, 2, 4)]
    assert result.items[0].evidence_score == pytest.approx(20.0)
    assert result.items[3].evidence_score == 0.0  # more against than for
    assert result.items[4].evidence_score is None  # no evidence: not ranked by it
    taus = {r.a: r for r in result.with_evidence}
    product_scores = [0.9 * 5, 0.5 * 2, 0.8 * 5, 0.6 * 3]
    evidence_scores = [20.0, 8.0, 0.0, 2.0]
    expected = kendalltau(product_scores, evidence_scores).statistic
    assert taus["product"].items == 4
    assert taus["product"].tau == pytest.approx(expected, abs=1e-12)
    assert taus["sales"].tau is None and taus["sales"].items == 2  # fewer than 3: null
    [pair] = result.between_functions
    assert (pair.a, pair.b, pair.tau, pair.items) == ("product", "sales", None, 2)
    with pytest.raises(BadInput):
        priority_alignment(m.picture(), Relation.EXPERIENCES)


# ----------------------------------------------------------------------------- alignment


def _random_model(seed: int, units: int, missing: float) -> Model:
    rng = np.random.default_rng(seed)
    m = Model()
    functions = ["product", "marketing", "sales", "success", "design", "engineering"]
    for n in range(units):
        pid = m.add(OPS, Relation.PURSUES, entity(f"goal-{n}", EntityKind.GOAL))
        for function in functions:
            if rng.random() > missing:
                m.believe(pid, function, round(float(rng.random()), 2))
    return m


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alignment_agrees_with_the_krippendorff_package(seed: int) -> None:
    picture = _random_model(seed, units=12, missing=0.3).picture()
    coders, _, data = belief_matrix(picture)
    result = alignment(picture)
    matrix = np.array([[np.nan if v is None else v for v in row] for row in data])
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")
    assert result.alpha == pytest.approx(expected, abs=1e-9)
    assert result.alpha_low is not None and result.alpha_high is not None
    assert result.alpha_low <= result.alpha_high
    assert result.functions == tuple(coders)
    assert len(result.pairwise) == len(coders) * (len(coders) - 1) // 2
    for pair in result.pairwise:
        rows = np.array([matrix[coders.index(pair.a)], matrix[coders.index(pair.b)]])
        both = ~np.isnan(rows).any(axis=0)
        assert pair.units == int(both.sum())
        diffs = np.abs(rows[0, both] - rows[1, both])
        assert pair.mean_abs_difference == pytest.approx(float(diffs.mean()), abs=1e-12)
        if pair.units >= 5 and np.ptp(rows[:, both]) > 0:
            reference = krippendorff.alpha(reliability_data=rows, level_of_measurement="interval")
            assert pair.alpha == pytest.approx(reference, abs=1e-9)
        if pair.units < 5:
            assert pair.alpha is None
    # The same question at the same time gives the same interval.
    assert alignment(picture) == result


def test_alignment_is_null_below_five_pairable_units() -> None:
    m = _random_model(7, units=4, missing=0.0)
    result = alignment(m.picture())
    assert result.units == 4 and result.alpha is None and result.alpha_low is None
    assert result.mean_abs_difference is not None


# ----------------------------------------------------------------------------- structural gaps


def _structure_model() -> Model:
    m = Model()
    idea = entity("feat-wizard", EntityKind.FEATURE, "idea")
    shipped = entity("feat-templates", EntityKind.FEATURE, "shipped")
    live_feature = entity("feat-live", EntityKind.FEATURE, "shipped")
    claim = entity("claim-realtime", EntityKind.CLAIM, "live")
    m.add(OPS, Relation.EXPERIENCES, ONBOARDING, s=6.0)  # validated, only an idea relieves it
    m.add(idea, Relation.RELIEVES, ONBOARDING)
    m.add(OPS, Relation.EXPERIENCES, MANUAL, s=6.0)  # validated and relieved: no gap
    m.add(shipped, Relation.RELIEVES, MANUAL)
    m.add(OPS, Relation.PURSUES, LIVE, c=6.0)  # refuted
    m.add(live_feature, Relation.ENABLES, LIVE)
    m.add(claim, Relation.PROMISES, LIVE)
    m.add(claim, Relation.PROMISES, ONBOARDING)
    m.add(claim, Relation.BACKED_BY, live_feature)
    m.add(claim, Relation.TARGETS, OPS)
    m.add(claim, Relation.TARGETS, AGENCY)
    m.add(OPS, Relation.USES, SHEETS, s=6.0)  # validated, nothing beats it
    return m


def test_each_structural_gap_kind_with_its_owner() -> None:
    picture = _structure_model().picture()
    gaps = structural_gaps(picture)
    found = {(g.kind, g.entity.id, g.related.id if g.related else None) for g in gaps}
    assert (StructuralGapKind.UNRELIEVED_PAIN, "pain-onboarding", None) in found
    assert (StructuralGapKind.UNRELIEVED_PAIN, "pain-manual", None) not in found
    # Promises onboarding, backed only by live dashboards, which do not relieve it.
    assert (StructuralGapKind.UNBACKED_PROMISE, "claim-realtime", "pain-onboarding") in found
    assert (StructuralGapKind.UNBACKED_PROMISE, "claim-realtime", "goal-live") not in found
    unsupported = [g for g in gaps if g.kind is StructuralGapKind.UNSUPPORTED_PROMISE]
    # Live data is refuted for ops and unknown for agencies; onboarding is validated for ops
    # but not covered for agencies.
    assert sorted((g.related.id, g.segments[0].id) for g in unsupported if g.related) == [
        ("goal-live", "seg-agency"),
        ("goal-live", "seg-ops"),
        ("pain-onboarding", "seg-agency"),
    ]
    refuted = next(g for g in unsupported if g.segments[0].id == "seg-ops")
    assert "refutes" in refuted.explanation
    features = {
        g.entity.id for g in gaps if g.kind is StructuralGapKind.FEATURE_WITHOUT_VALIDATED_VALUE
    }
    assert features == {"feat-live"}  # the wizard relieves a validated pain; templates too
    assert (StructuralGapKind.UNBEATEN_ALTERNATIVE, "alt-sheets", None) in found
    owners = {g.kind: g.owners for g in gaps}
    assert owners[StructuralGapKind.UNRELIEVED_PAIN] == ("product",)
    assert owners[StructuralGapKind.UNSUPPORTED_PROMISE] == ("marketing", "sales")
    assert {g.kind for g in structural_gaps(picture, "sales")} == {
        StructuralGapKind.UNSUPPORTED_PROMISE,
        StructuralGapKind.UNBEATEN_ALTERNATIVE,
    }
    assert all(g.explanation and g.propositions for g in gaps)


def test_fixing_the_model_closes_the_gaps() -> None:
    m = _structure_model()
    planned = entity("feat-guided", EntityKind.FEATURE, "planned")
    m.add(planned, Relation.RELIEVES, ONBOARDING)
    m.add(entity("claim-realtime", EntityKind.CLAIM, "live"), Relation.BACKED_BY, planned)
    m.add(entity("claim-vs-sheets", EntityKind.CLAIM, "live"), Relation.BEATS, SHEETS)
    kinds = {g.kind for g in structural_gaps(m.picture())}
    assert StructuralGapKind.UNRELIEVED_PAIN not in kinds
    assert StructuralGapKind.UNBACKED_PROMISE not in kinds
    assert StructuralGapKind.UNBEATEN_ALTERNATIVE not in kinds


def test_a_refuted_link_does_not_count() -> None:
    m = _structure_model()
    sheets_beater = entity("feat-exports", EntityKind.FEATURE, "shipped")
    m.add(sheets_beater, Relation.BEATS, SHEETS, c=6.0)
    kinds = {g.kind for g in structural_gaps(m.picture())}
    assert StructuralGapKind.UNBEATEN_ALTERNATIVE in kinds


def test_segment_scope_keeps_the_gaps_of_that_segment() -> None:
    m = _structure_model()
    picture = m.picture(segment=AGENCY, scope=[])
    kinds = {(g.kind, g.segments[0].id if g.segments else None) for g in structural_gaps(picture)}
    assert (StructuralGapKind.UNSUPPORTED_PROMISE, "seg-agency") in kinds
    assert all(seg in (None, "seg-agency") for _, seg in kinds)
    assert StructuralGapKind.UNRELIEVED_PAIN not in {k for k, _ in kinds}


# ----------------------------------------------------------------------------- duplicates


def test_duplicate_pairs_name_both_entities_and_their_creators() -> None:
    def candidate(entity_id: str, name: str, text: str, function: str) -> DuplicateEntity:
        return DuplicateEntity(
            entity=entity(entity_id, EntityKind.FEATURE, "planned").model_copy(
                update={"name": name}
            ),
            description=text,
            created_at=T,
            created_by_name=f"{function} lead",
            created_by_function=function,
        )

    pairs = duplicate_pairs(
        [
            candidate("feat-a", "Scheduled PDF reports", "Email a PDF on a schedule", "product"),
            candidate(
                "feat-b", "Automated report emailing", "Email PDF reports on a schedule", "eng"
            ),
            candidate("feat-c", "Slack alerts", "Post anomalies to a Slack channel", "eng"),
        ],
        min_similarity=0.3,
    )
    [pair] = pairs
    assert {pair.a.entity.id, pair.b.entity.id} == {"feat-a", "feat-b"}
    assert pair.across_functions and pair.kind is EntityKind.FEATURE
    assert 0.3 <= pair.similarity <= 1.0


# ----------------------------------------------------------------------------- the bundle


def test_segment_report_bundles_every_query() -> None:
    m = _structure_model()
    pids = list(m.propositions)
    for n, function in enumerate(["product", "marketing", "sales"]):
        for k, pid in enumerate(pids):
            m.believe(pid, function, round((n * 0.3 + k * 0.07) % 1, 2), magnitude=1 + k % 5)
    picture = m.picture(segment=OPS, scope=pids[:8])
    report = segment_report(picture)
    assert report.segment == OPS and report.as_of == T
    assert report.thresholds.significant_gap == 0.25
    assert report.belief_gaps == tuple(belief_gaps(picture))
    assert [p.relation for p in report.priority_alignment] == [
        Relation.PURSUES,
        Relation.EXPERIENCES,
        Relation.USES,
    ]
    assert report.alignment == alignment(picture)
    assert report.structural_gaps == tuple(structural_gaps(picture))
    assert report.blind_spots == tuple(
        row for f in picture.functions for row in blind_spots(picture, f)
    )
    assert math.isfinite(report.alignment.mean_abs_difference or 0.0)
