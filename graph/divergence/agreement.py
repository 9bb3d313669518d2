"""How much the functions agree: priority alignment (Kendall's tau-b) and the alignment
index (Krippendorff's interval alpha) of docs/design.md §2 items 5 and 6. Pure functions.
"""

from __future__ import annotations

from itertools import combinations

from analytics.agreement import alignment_figures
from analytics.ranking import kendall_tau_b, score
from graph.divergence.picture import Picture
from schema.divergence import (
    Alignment,
    AlphaNullReason,
    FunctionScore,
    PairAgreement,
    PriorityAlignment,
    RankAgreement,
    RankedItem,
    SegmentRequired,
)
from schema.vocabulary import Relation

EVIDENCE = "evidence"
BOOTSTRAP_SEED = 0  # a fixed seed: the same question at the same T gives the same interval


def _tau(
    first: dict[str, float], second: dict[str, float], minimum: int
) -> tuple[float | None, int]:
    common = sorted(set(first) & set(second))
    if len(common) < minimum:
        return None, len(common)
    return kendall_tau_b([first[i] for i in common], [second[i] for i in common]), len(common)


def priority_alignment(picture: Picture, relation: Relation) -> PriorityAlignment:
    """Kendall's tau-b between each function's ranking and the evidence's, and pairwise.

    The items are the segment's propositions of ``relation`` (e.g. EXPERIENCES: its pains).
    A function ranks the items it holds a current belief on, by ``p × magnitude`` (3 when
    the belief gives no magnitude); the evidence ranks the items any evidence bears on, by
    ``max(S − C, 0) × m̄``. Each tau is over the items both rank, and null (with the count)
    below ``min_rank_items`` items or when a ranking is constant.
    """
    if picture.segment is None:
        raise SegmentRequired("priority alignment")
    minimum = picture.settings.min_rank_items
    items = [p for p in picture.in_scope() if p.relation is relation]
    evidence_scores: dict[str, float] = {}
    function_scores: dict[str, dict[str, float]] = {}
    ranked: list[RankedItem] = []
    for proposition in items:
        evidence = picture.evidence(proposition.id)
        evidence_score: float | None = None
        if evidence.evidence_count > 0:
            net = max(evidence.supporting_weight - evidence.contradicting_weight, 0.0)
            evidence_score = score(net * evidence.mean_magnitude)
            evidence_scores[proposition.id] = evidence_score
        scores: list[FunctionScore] = []
        for belief in picture.beliefs_on(proposition.id):
            ranked_by = score(
                belief.p * float(belief.magnitude or picture.settings.default_magnitude)
            )
            function_scores.setdefault(belief.function, {})[proposition.id] = ranked_by
            scores.append(
                FunctionScore(
                    function=belief.function,
                    score=ranked_by,
                    p=belief.p,
                    magnitude=belief.magnitude,
                )
            )
        ranked.append(
            RankedItem(
                proposition=proposition,
                evidence_score=evidence_score,
                evidence=evidence,
                function_scores=tuple(scores),
            )
        )
    ranked.sort(
        key=lambda r: (
            r.evidence_score is None,
            -(r.evidence_score or 0.0),
            r.proposition.id,
        )
    )
    rankers = [f for f in picture.functions if f in function_scores]
    with_evidence = []
    for function in rankers:
        tau, n = _tau(function_scores[function], evidence_scores, minimum)
        with_evidence.append(RankAgreement(a=function, b=EVIDENCE, tau=tau, items=n))
    between = []
    for a, b in combinations(rankers, 2):
        tau, n = _tau(function_scores[a], function_scores[b], minimum)
        between.append(RankAgreement(a=a, b=b, tau=tau, items=n))
    return PriorityAlignment(
        segment=picture.segment,
        relation=relation,
        items=tuple(ranked),
        with_evidence=tuple(with_evidence),
        between_functions=tuple(between),
    )


def _reason(found: str | None) -> AlphaNullReason | None:
    return None if found is None else AlphaNullReason(found)


def belief_matrix(picture: Picture) -> tuple[list[str], list[str], list[list[float | None]]]:
    """Coders × units: the functions holding a belief in scope, the propositions in scope,
    and each function's current p (None where it holds none)."""
    units = [p.id for p in picture.in_scope()]
    coders = [
        f for f in picture.functions if any(f in picture.beliefs.get(pid, {}) for pid in units)
    ]
    data: list[list[float | None]] = []
    for function in coders:
        row: list[float | None] = []
        for pid in units:
            belief = picture.beliefs.get(pid, {}).get(function)
            row.append(None if belief is None else belief.p)
        data.append(row)
    return coders, units, data


def alignment(picture: Picture) -> Alignment:
    """Krippendorff's interval alpha (units = propositions in scope, coders = functions,
    values = current p), its 95% bootstrap interval over units, the mean absolute
    difference, and the function × function matrix. Alpha is null below
    ``min_alignment_units`` pairable units.

    It depends on the current beliefs and the scope alone, not on T: a shared model's
    pictures compute it once per model version (``Picture.memo``)."""
    key = ("alignment", picture.segment_id, picture.scope, repr(picture.settings))
    found = picture.memo.get(key)
    if isinstance(found, Alignment):
        return found
    computed = _alignment(picture)
    picture.memo[key] = computed
    return computed


def _alignment(picture: Picture) -> Alignment:
    settings = picture.settings
    coders, _, data = belief_matrix(picture)
    figures = alignment_figures(
        data,
        min_units=settings.min_alignment_units,
        resamples=settings.bootstrap_resamples,
        level=settings.bootstrap_level,
        seed=BOOTSTRAP_SEED,
    )
    pairwise: list[PairAgreement] = []
    for (i, a), (j, b) in combinations(enumerate(coders), 2):
        # Each pair's own interval: its pairable propositions resampled, in id order, seed 0.
        pair = alignment_figures(
            [data[i], data[j]],
            min_units=settings.min_alignment_units,
            resamples=settings.bootstrap_resamples,
            level=settings.bootstrap_level,
            seed=BOOTSTRAP_SEED,
        )
        pairwise.append(
            PairAgreement(
                a=a,
                b=b,
                alpha=pair.alpha,
                alpha_low=pair.alpha_low,
                alpha_high=pair.alpha_high,
                alpha_null_reason=_reason(pair.null_reason),
                mean_abs_difference=pair.mean_abs_difference,
                units=pair.units,
            )
        )
    return Alignment(
        segment=picture.segment,
        alpha=figures.alpha,
        alpha_low=figures.alpha_low,
        alpha_high=figures.alpha_high,
        alpha_null_reason=_reason(figures.null_reason),
        mean_abs_difference=figures.mean_abs_difference,
        units=figures.units,
        functions=tuple(coders),
        pairwise=tuple(pairwise),
    )
