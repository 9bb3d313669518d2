"""Where beliefs part from the evidence and from each other (DESIGN.md §2 items 1-4).

Pure functions over a ``Picture``: belief gaps, disagreements between functions, blind
spots and assumption debt. Each returns rows in a stable, documented order.
"""

from __future__ import annotations

import math
import statistics

from graph.divergence.picture import Picture
from schema.divergence import (
    AssumptionDebt,
    BeliefGap,
    BlindSpot,
    Disagreement,
    FunctionBelief,
    GapDirection,
)
from schema.vocabulary import SupportStatus

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


def belief_gaps(
    picture: Picture, function: str | None = None, *, significant_only: bool = False
) -> list[BeliefGap]:
    """``gap = p - confidence`` for every current belief on a proposition with S + C ≥ 1.

    Ranked by |gap| × consensus magnitude, highest first (then |gap|, proposition id and
    function, so the order is total and a cursor can resume it).
    """
    picture.check_function(function)
    settings = picture.settings
    rows: list[BeliefGap] = []
    for proposition in picture.in_scope():
        evidence = picture.evidence(proposition.id)
        if evidence.mass < settings.min_evidence_mass:
            continue
        held = picture.beliefs_on(proposition.id)
        if not held:
            continue
        consensus = consensus_magnitude(held, settings.default_magnitude)
        for belief in held:
            if function is not None and belief.function != function:
                continue
            gap = belief.p - evidence.confidence
            significant = abs(gap) >= settings.significant_gap - TOLERANCE
            if significant_only and not significant:
                continue
            rows.append(
                BeliefGap(
                    proposition=proposition,
                    function=belief.function,
                    p=belief.p,
                    confidence=evidence.confidence,
                    gap=gap,
                    direction=_direction(gap),
                    significant=significant,
                    consensus_magnitude=consensus,
                    rank_score=abs(gap) * consensus,
                    belief=belief,
                    evidence=evidence,
                    beliefs=held,
                )
            )
    rows.sort(key=gap_sort_key)
    return rows


def gap_sort_key(row: BeliefGap) -> tuple[float, float, str, str]:
    return (-row.rank_score, -abs(row.gap), row.proposition.id, row.function)


def disagreements(
    picture: Picture, function: str | None = None, *, contested_only: bool = False
) -> list[Disagreement]:
    """Spread (max - min) and population standard deviation of the current beliefs.

    Every proposition in scope with at least two current beliefs (and, given a function,
    one of them that function's), widest spread first.
    """
    picture.check_function(function)
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
            Disagreement(
                proposition=proposition,
                spread=spread,
                standard_deviation=sd,
                mean_p=mean,
                contested=contested,
                highest=max(held, key=lambda b: b.p),
                lowest=min(held, key=lambda b: b.p),
                evidence=picture.evidence(proposition.id),
                beliefs=held,
            )
        )
    rows.sort(key=lambda r: (-r.spread, -r.standard_deviation, r.proposition.id))
    return rows


def blind_spots(picture: Picture, function: str) -> list[BlindSpot]:
    """Validated or refuted propositions in scope on which ``function`` holds no belief.

    A function's scope is the whole model, or the segment asked for: every function is meant
    to hold a picture of the whole customer. Strongest evidence first (confidence furthest
    from ½, then evidence mass).
    """
    picture.check_function(function)
    rows: list[BlindSpot] = []
    for proposition in picture.in_scope():
        evidence = picture.evidence(proposition.id)
        if evidence.status not in (SupportStatus.VALIDATED, SupportStatus.REFUTED):
            continue
        if function in picture.beliefs.get(proposition.id, {}):
            continue
        rows.append(
            BlindSpot(
                proposition=proposition,
                function=function,
                status=evidence.status,
                evidence=evidence,
                beliefs=picture.beliefs_on(proposition.id),
            )
        )
    rows.sort(key=lambda r: (-abs(r.evidence.confidence - 0.5), -r.evidence.mass, r.proposition.id))
    return rows


def assumption_debt(picture: Picture, function: str | None = None) -> list[AssumptionDebt]:
    """Strong beliefs (p ≥ 0.7 or ≤ 0.3) on propositions whose evidence mass S + C < 1.

    Weighted by the belief's magnitude (3 when it gives none): the most important untested
    assumptions first, then the most convinced, then the least evidenced.
    """
    picture.check_function(function)
    settings = picture.settings
    rows: list[AssumptionDebt] = []
    for proposition in picture.in_scope():
        evidence = picture.evidence(proposition.id)
        if evidence.mass >= settings.min_evidence_mass:
            continue
        held = picture.beliefs_on(proposition.id)
        for belief in held:
            if function is not None and belief.function != function:
                continue
            if (
                settings.strong_belief_low + TOLERANCE
                < belief.p
                < settings.strong_belief_high - TOLERANCE
            ):
                continue
            rows.append(
                AssumptionDebt(
                    proposition=proposition,
                    function=belief.function,
                    p=belief.p,
                    magnitude=belief.magnitude,
                    weight=float(belief.magnitude or settings.default_magnitude),
                    belief=belief,
                    evidence=evidence,
                    beliefs=held,
                )
            )
    rows.sort(
        key=lambda r: (
            -r.weight,
            -abs(r.p - 0.5),
            r.evidence.mass,
            r.proposition.id,
            r.function,
        )
    )
    return rows
