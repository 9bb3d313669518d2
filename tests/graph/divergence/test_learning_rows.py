"""What the §2 changes show on hand-made pictures: opposing gaps apart from calibration gaps,
tied scores, assumption debt with the items it needs, and the research ranking."""

from __future__ import annotations

from analytics.information import information_value
from graph.divergence import assumption_debt, belief_gaps
from graph.research import evidence_to_collect
from schema.vocabulary import EntityKind, Relation
from tests.graph.divergence.helpers import Model, entity

OPS = entity("seg-ops", EntityKind.SEGMENT)
PAINS = [entity(f"pain-{n}", EntityKind.PAIN) for n in range(4)]


def test_opposing_and_calibration_gaps_are_told_apart() -> None:
    m = Model()
    validated = m.add(OPS, Relation.EXPERIENCES, PAINS[0], s=6.0, c=0.0)
    m.believe(validated, "sales", 0.55)  # right side, too weak: a calibration gap
    m.believe(validated, "marketing", 0.2)  # the opposite of the evidence
    gaps = {g.function: g for g in belief_gaps(m.picture(), significant_only=True)}
    assert not gaps["sales"].opposes_evidence and gaps["sales"].gap < -0.25
    assert gaps["marketing"].opposes_evidence
    only = belief_gaps(m.picture(), significant_only=True, opposing_only=True)
    assert [g.function for g in only] == ["marketing"]


def test_equal_products_tie_and_fall_back_to_id_order() -> None:
    m = Model()
    first = m.add(OPS, Relation.EXPERIENCES, PAINS[1], s=0.0, c=1.0)
    second = m.add(OPS, Relation.EXPERIENCES, PAINS[2], s=0.0, c=1.0)
    # |gap| × consensus: the same on paper for both rows, floating point apart.
    m.believe(first, "sales", 0.2 + float(m.picture().evidence(first).confidence), magnitude=3)
    m.believe(second, "sales", 0.15 + float(m.picture().evidence(second).confidence), magnitude=4)
    gaps = belief_gaps(m.picture())
    assert gaps[0].rank_score == gaps[1].rank_score == 0.6
    assert [g.proposition.id for g in gaps] == sorted([first, second])


def test_assumption_debt_carries_the_items_it_needs() -> None:
    m = Model()
    thin = m.add(OPS, Relation.EXPERIENCES, PAINS[3], s=0.5, c=0.2)
    m.believe(thin, "product", 0.9, magnitude=5)
    [debt] = assumption_debt(m.picture())
    expected = information_value(0.5, 0.2, 0.8)
    assert (debt.items_to_validate, debt.items_to_refute) == (
        expected.items_to_validate,
        expected.items_to_refute,
    )


def test_research_ranking_counts_far_functions_and_filters_by_function() -> None:
    m = Model()
    quiet = m.add(OPS, Relation.EXPERIENCES, PAINS[0], s=0.5, c=0.5)
    loud = m.add(OPS, Relation.EXPERIENCES, PAINS[1], s=0.5, c=0.5)
    m.believe(loud, "sales", 0.95)
    m.believe(loud, "marketing", 0.05)
    m.believe(quiet, "design", 0.5)
    rows = evidence_to_collect(m.picture())
    assert [r.proposition.id for r in rows] == [loud, quiet]
    # The same VoI and magnitude: 1 + two far functions triple the score.
    assert rows[0].value_of_information == rows[1].value_of_information
    assert abs(rows[0].score - 3 * rows[1].score) <= 3e-9
    assert set(rows[0].far_functions) == {"marketing", "sales"} and rows[1].far_functions == ()
    assert [r.proposition.id for r in evidence_to_collect(m.picture(), "design")] == [quiet]
