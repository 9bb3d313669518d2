"""Where beliefs part from the evidence and from each other (docs/design.md §2 items 1-4).

Pure functions over a ``Picture``: belief gaps, disagreements between functions, blind
spots and assumption debt. Each returns rows in a stable, documented order.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from typing import NamedTuple

from analytics.information import items_needed, next_item_weight
from analytics.ranking import score
from graph.divergence.picture import Picture
from graph.kit import collector
from schema.divergence import (
    AssumptionDebt,
    BeliefGap,
    BlindSpot,
    Disagreement,
    EvidenceView,
    FunctionBelief,
    GapDirection,
    PropositionView,
)

# ROWS_VALIDATED: every row is built with ``model_validate`` from a dict. pydantic's compiled
# validator takes the picture's views, beliefs and figures as they are (model instances are
# not validated again) and costs half of ``model_construct``, whose Python loop over the
# fields was the largest single cost of a whole model's report (50,000 rows at M).

# p values are decimals like 0.3 and 0.7 whose binary difference is 0.39999999999999997;
# a threshold of 0.4 must still count that spread (and a gap just as wide) as reaching it.
TOLERANCE = 1e-9


def consensus_magnitude(
    beliefs: tuple[FunctionBelief, ...] | list[FunctionBelief], default: float
) -> float:
    """The median magnitude of the functions' current beliefs; ``default`` (3) when none
    gives one."""
    given = [b.magnitude for b in beliefs if b.magnitude is not None]
    return float(statistics.median(given)) if given else default


def _direction(gap: float) -> GapDirection:
    if gap > 0:
        return GapDirection.OVER_CONFIDENT
    if gap < 0:
        return GapDirection.UNDER_CONFIDENT
    return GapDirection.ALIGNED


class _HeldBeliefs(NamedTuple):
    """One proposition's current beliefs in scope, as every row about them names them: the
    proposition, its evidence, every function's beliefs and the ones chosen (one function's,
    given one), with the consensus magnitude of them all."""

    proposition: PropositionView
    evidence: EvidenceView
    beliefs: tuple[FunctionBelief, ...]
    chosen: list[FunctionBelief]
    consensus: float


def _held_beliefs(
    picture: Picture, function: str | None, *, evidenced: bool
) -> Iterator[_HeldBeliefs]:
    """The current beliefs in scope, proposition by proposition, where the evidence mass
    reaches ``min_evidence_mass`` (``evidenced``) or stays below it."""
    settings = picture.settings
    # The consensus depends on the beliefs alone: once per proposition and belief, not once
    # per query.
    consensus: dict[str, float] = picture.each_proposition(
        ("consensus magnitude", settings.default_magnitude)
    )
    for proposition in picture.in_scope():
        evidence = picture.evidence(proposition.id)
        if (evidence.mass >= settings.min_evidence_mass) is not evidenced:
            continue
        held = picture.beliefs_on(proposition.id)
        chosen = [b for b in held if function is None or b.function == function]
        if not chosen:
            continue
        median = consensus.get(proposition.id)
        if median is None:
            median = consensus_magnitude(held, settings.default_magnitude)
            consensus[proposition.id] = median
        yield _HeldBeliefs(proposition, evidence, held, chosen, median)


@collector.pausing
def belief_gaps(
    picture: Picture,
    function: str | None = None,
    *,
    significant_only: bool = False,
    opposing_only: bool = False,
) -> list[BeliefGap]:
    """``gap = p - confidence`` for every current belief on a proposition with S + C ≥ 1.

    Ranked by |gap| × consensus magnitude (rounded to 9 decimals, so equal products tie),
    highest first (then |gap|, proposition id and function, so the order is total and a
    cursor can resume it). ``opposing_only`` keeps the gaps whose belief and evidence lie on
    opposite sides of ½.
    """
    function = picture.check_function(function)
    settings = picture.settings
    keyed: list[tuple[tuple[float, float, str, str], BeliefGap]] = []
    for proposition, evidence, held, chosen, consensus in _held_beliefs(
        picture, function, evidenced=True
    ):
        confidence = evidence.confidence
        # A belief opposes the evidence when they lie on opposite sides of ½ (a side of
        # exactly ½, after rounding to 9 decimals, is neither).
        evidence_side = score(confidence - 0.5)
        for belief in chosen:
            p = belief.p
            gap = p - confidence
            significant = abs(gap) >= settings.significant_gap - TOLERANCE
            if significant_only and not significant:
                continue
            opposing = score(p - 0.5) * evidence_side < 0.0
            if opposing_only and not opposing:
                continue
            rank_score = score(abs(gap) * consensus)
            # Rows are validated from a dict (see ROWS_VALIDATED below).
            row = BeliefGap.model_validate(
                {
                    "proposition": proposition,
                    "function": belief.function,
                    "p": p,
                    "belief": belief,
                    "evidence": evidence,
                    "beliefs": held,
                    "confidence": confidence,
                    "gap": gap,
                    "direction": _direction(gap),
                    "significant": significant,
                    "opposes_evidence": opposing,
                    "consensus_magnitude": consensus,
                    "rank_score": rank_score,
                }
            )
            # gap_sort_key(row), from the figures at hand (a score of a score is itself).
            key = (-rank_score, -score(abs(gap)), proposition.id, belief.function)
            keyed.append((key, row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _, row in keyed]


def gap_sort_key(row: BeliefGap) -> tuple[float, float, str, str]:
    return (-score(row.rank_score), -score(abs(row.gap)), row.proposition.id, row.function)


@collector.pausing
def disagreements(
    picture: Picture, function: str | None = None, *, contested_only: bool = False
) -> list[Disagreement]:
    """Spread (max - min) and population standard deviation of the current beliefs.

    Every proposition in scope with at least two current beliefs (and, given a function,
    one of them that function's), widest spread first.
    """
    function = picture.check_function(function)
    rows: list[Disagreement] = []
    for proposition in picture.in_scope():
        held = picture.beliefs_on(proposition.id)
        if len(held) < 2:
            continue
        if function is not None and all(b.function != function for b in held):
            continue
        values = [b.p for b in held]
        spread = max(values) - min(values)
        contested = spread >= picture.settings.contested_spread - TOLERANCE
        if contested_only and not contested:
            continue
        mean = math.fsum(values) / len(values)
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
        rows.append(
            Disagreement.model_validate(
                {
                    "proposition": proposition,
                    "spread": spread,
                    "standard_deviation": sd,
                    "mean_p": mean,
                    "contested": contested,
                    "highest": max(held, key=lambda b: b.p),
                    "lowest": min(held, key=lambda b: b.p),
                    "evidence": picture.evidence(proposition.id),
                    "beliefs": held,
                }
            )
        )
    rows.sort(key=lambda r: (-score(r.spread), -score(r.standard_deviation), r.proposition.id))
    return rows


@collector.pausing
def blind_spots(picture: Picture, function: str) -> list[BlindSpot]:
    """Validated or refuted propositions in scope on which ``function`` holds no belief.

    A function's scope is the whole model, or the segment asked for: every function is meant
    to hold a picture of the whole customer. Strongest evidence first (confidence furthest
    from ½, then evidence mass).
    """
    function = picture.check_function(function)
    rows: list[BlindSpot] = []
    for proposition, evidence in picture.decided():
        if function in picture.beliefs.get(proposition.id, {}):
            continue
        rows.append(
            BlindSpot.model_validate(
                {
                    "proposition": proposition,
                    "function": function,
                    "status": evidence.status,
                    "evidence": evidence,
                    "beliefs": picture.beliefs_on(proposition.id),
                }
            )
        )
    rows.sort(
        key=lambda r: (
            -score(abs(r.evidence.confidence - 0.5)),
            -score(r.evidence.mass),
            r.proposition.id,
        )
    )
    return rows


@collector.pausing
def assumption_debt(picture: Picture, function: str | None = None) -> list[AssumptionDebt]:
    """Strong beliefs (p ≥ 0.7 or ≤ 0.3) on propositions whose evidence mass S + C < 1.

    Weighted by the belief's magnitude (3 when it gives none): the most important untested
    assumptions first, then the most convinced, then the least evidenced.
    """
    function = picture.check_function(function)
    settings = picture.settings
    strong = [
        (held, belief)
        for held in _held_beliefs(picture, function, evidenced=False)
        for belief in held.chosen
        if not (
            settings.strong_belief_low + TOLERANCE
            < belief.p
            < settings.strong_belief_high - TOLERANCE
        )
    ]
    needed = _items_needed(picture, [held.evidence for held, _ in strong])
    rows: list[AssumptionDebt] = []
    for held, belief in strong:
        magnitude = belief.magnitude
        evidence = held.evidence
        to_validate, to_refute = needed[(evidence.supporting_weight, evidence.contradicting_weight)]
        rows.append(
            AssumptionDebt.model_validate(
                {
                    "proposition": held.proposition,
                    "function": belief.function,
                    "p": belief.p,
                    "belief": belief,
                    "evidence": evidence,
                    "beliefs": held.beliefs,
                    "magnitude": magnitude,
                    "weight": float(magnitude or settings.default_magnitude),
                    "items_to_validate": to_validate,
                    "items_to_refute": to_refute,
                }
            )
        )
    rows.sort(
        key=lambda r: (
            -score(r.weight),
            -score(abs(r.p - 0.5)),
            score(r.evidence.mass),
            r.proposition.id,
            r.function,
        )
    )
    return rows


def _items_needed(
    picture: Picture, evidence: list[EvidenceView]
) -> dict[tuple[float, float], tuple[int | None, int | None]]:
    """The interviews all one way that would validate or refute each (S, C) given: once per
    proposition, not per belief on it (the evidence is the same for each function)."""
    settings = picture.settings
    weights = list(dict.fromkeys((e.supporting_weight, e.contradicting_weight) for e in evidence))
    if not weights:
        return {}
    to_validate, to_refute = items_needed(
        [s for s, _ in weights],
        [c for _, c in weights],
        next_item_weight(settings.reliability),
        validated_at=settings.validated_confidence,
        refuted_at=settings.refuted_confidence,
    )
    return dict(zip(weights, zip(to_validate, to_refute, strict=True), strict=True))
