"""How the workshop's JSON reads: propositions as sentences, functions in their usual order,
evidence figures, and the uncached JSON response that carries them."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

from schema.divergence import EntityRef, EvidenceView, PropositionView
from schema.models import Entity, Proposition
from schema.sentences import statement as statement  # shared with the snapshot reports
from schema.vocabulary import DEFAULT_FUNCTIONS, Relation

LIST_LIMIT = 50

# The order in which relations are listed (the segment's world first, then what acts on it).
RELATION_ORDER = {
    r: n
    for n, r in enumerate(
        [
            Relation.PURSUES,
            Relation.EXPERIENCES,
            Relation.USES,
            Relation.HINDERS,
            Relation.RELIEVES,
            Relation.ENABLES,
            Relation.BEATS,
            Relation.PROMISES,
            Relation.TARGETS,
            Relation.BACKED_BY,
        ]
    )
}


def ordered_functions(names: list[str] | tuple[str, ...]) -> list[str]:
    """The seven default functions in their usual order, then custom ones by name."""
    default = {name: n for n, name in enumerate(DEFAULT_FUNCTIONS)}
    return sorted(names, key=lambda f: (default.get(f, len(default)), f))


def entity_ref(entity: Entity) -> EntityRef:
    return EntityRef(id=entity.id, kind=entity.kind, name=entity.name, status=entity.status)


def proposition_view(found: Proposition, subject: Entity, obj: Entity) -> PropositionView:
    """A stored proposition with its two ends, as the sentence-making code reads it."""
    return PropositionView(
        id=found.id,
        relation=found.relation,
        subject=entity_ref(subject),
        object=entity_ref(obj),
        created_at=found.created_at,
        created_by=found.created_by,
    )


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evidence_json(view: EvidenceView) -> dict[str, Any]:
    return {
        "status": view.status.value,
        "support": rounded(view.support),
        "confidence": rounded(view.confidence),
        "low": rounded(view.interval_low),
        "high": rounded(view.interval_high),
        "level": view.interval_level,
        "supporting_weight": rounded(view.supporting_weight),
        "contradicting_weight": rounded(view.contradicting_weight),
        "mass": rounded(view.mass),
        "count": view.evidence_count,
        "supporting_count": view.supporting_count,
        "contradicting_count": view.contradicting_count,
        "accounts": view.distinct_accounts,
        "newest": view.newest_evidence_at.isoformat() if view.newest_evidence_at else None,
    }


def json_response(data: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status_code=status_code,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
