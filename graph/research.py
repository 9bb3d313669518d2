"""Evidence to collect next (docs/design.md §2b): the value of one more item on each
proposition in scope, and the propositions ranked by VoI × consensus magnitude × (1 + the
functions far from the evidence) — assumption debt turned into a research plan. Pure
functions over a ``Picture``; the maths is ``analytics.information``."""

from __future__ import annotations

from analytics.information import (
    information_values,
    is_far,
    next_item_weight,
    research_score,
)
from analytics.ranking import score
from graph.divergence import Picture, consensus_magnitude
from schema.research import EvidenceValue


def evidence_values(picture: Picture, ids: list[str]) -> dict[str, EvidenceValue]:
    """The EvidenceValue of each proposition of ``ids`` (in scope), computed at once."""
    settings = picture.settings
    views = [picture.evidence(pid) for pid in ids]
    found = information_values(
        [v.supporting_weight for v in views],
        [v.contradicting_weight for v in views],
        next_item_weight(settings.reliability),
        validated_at=settings.validated_confidence,
        refuted_at=settings.refuted_confidence,
    )
    result: dict[str, EvidenceValue] = {}
    for pid, view, value in zip(ids, views, found, strict=True):
        held = picture.beliefs_on(pid)
        far = tuple(
            b.function for b in held if is_far(b.p, view.confidence, settings.significant_gap)
        )
        magnitude = consensus_magnitude(held, settings.default_magnitude)
        result[pid] = EvidenceValue(
            proposition=picture.propositions[pid],
            value_of_information=value.value_of_information,
            items_to_validate=value.items_to_validate,
            items_to_refute=value.items_to_refute,
            consensus_magnitude=magnitude,
            far_functions=far,
            score=research_score(value.value_of_information, magnitude, len(far)),
            evidence=view,
            beliefs=held,
        )
    return result


def evidence_to_collect(picture: Picture, function: str | None = None) -> list[EvidenceValue]:
    """The propositions in scope (given a function, those it holds a belief on), highest
    score first, then highest VoI, then id."""
    wanted = picture.check_function(function)
    ids = [
        p.id
        for p in picture.in_scope()
        if wanted is None or wanted in picture.beliefs.get(p.id, {})
    ]
    rows = list(evidence_values(picture, ids).values())
    rows.sort(key=lambda r: (-r.score, -score(r.value_of_information), r.proposition.id))
    return rows
