"""The GraphQL rows of the divergence queries, derived from ``schema.divergence``.

Each row carries the evidence behind it, each function's current belief and the thresholds
it was computed with; the words (descriptions) are the models'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from api.graphql import vocabulary  # noqa: F401 - the models' enums, registered
from api.graphql.nodes import Proposition
from api.graphql.pagination import Connection, Edge, described
from api.graphql.shapes import (
    MEMBER_IDS,
    Row,
    converted,
    read,
    renamed,
    renamed_reason,
    row_type,
)
from schema import divergence as rows
from schema import models

strawberry.enum(
    rows.GapDirection,
    description="OVER_CONFIDENT: the function believes more than the evidence supports "
    "(gap > 0); UNDER_CONFIDENT: less (gap < 0); ALIGNED: exactly as much.",
)
strawberry.enum(
    rows.AlphaNullReason,
    description="Why an alpha is null. TOO_FEW_UNITS: fewer pairable propositions than "
    "thresholds.minAlignmentUnits. NO_VARIATION: every pairable belief is the same (perfect "
    "agreement, for which alpha is undefined).",
)
strawberry.enum(
    rows.StructuralGapKind,
    description="UNRELIEVED_PAIN: a validated pain no planned, building or shipped feature "
    "relieves (product). UNBACKED_PROMISE: a claim promises something none of its backing "
    "features relieves or enables (marketing). UNSUPPORTED_PROMISE: a claim promises a goal "
    "or pain the evidence refutes or does not validate for a segment it targets (marketing, "
    "sales). FEATURE_WITHOUT_VALIDATED_VALUE: a feature that relieves or enables nothing "
    "validated (product). UNBEATEN_ALTERNATIVE: an alternative a segment validly uses that no "
    "claim or feature beats (marketing, sales).",
)


def _proposition(view: rows.PropositionView) -> Proposition:
    return Proposition.from_model(
        models.Proposition(
            id=view.id,
            relation=view.relation,
            subject_id=view.subject.id,
            object_id=view.object.id,
            created_at=view.created_at,
            created_by=view.created_by,
        )
    )


def proposition_field() -> Any:
    return converted(_proposition)


def text_field() -> Any:
    return read("proposition.text", description="The proposition as a sentence.")


def _thresholds_field(what: str = "this row was") -> Any:
    return strawberry.field(description=f"The thresholds {what} computed with.")


@row_type(rows.Thresholds)
class DivergenceThresholds(Row):
    pass


@row_type(rows.EvidenceView)
class EvidenceSummary(Row):
    evidence_ids: list[strawberry.ID]
    evidence_count: strawberry.auto
    supporting_count: strawberry.auto
    contradicting_count: strawberry.auto
    distinct_accounts: strawberry.auto
    distinct_sources: strawberry.auto
    newest_evidence_at: strawberry.auto
    supporting_weight: strawberry.auto
    contradicting_weight: strawberry.auto
    evidence_mass: float = read("mass", description="S + C.")
    mean_magnitude: strawberry.auto
    support: strawberry.auto
    confidence: strawberry.auto
    interval_low: strawberry.auto
    interval_high: strawberry.auto
    interval_level: strawberry.auto
    status: strawberry.auto


@row_type(rows.FunctionBelief)
class FunctionBelief(Row):
    function: strawberry.auto
    p: strawberry.auto
    magnitude: strawberry.auto
    stated_at: strawberry.auto
    stated_by_id: strawberry.ID = read(
        "stated_by", description="The id of the member who stated it, as Belief.statedById."
    )
    stated_by: str = renamed(
        "statedById", MEMBER_IDS, description="The id of the member who stated it."
    )
    belief_id: strawberry.ID
    seq: strawberry.auto
    rationale: strawberry.auto


@row_type(rows.EntityRef)
class EntitySummary(Row):
    id: strawberry.ID
    kind: strawberry.auto
    name: strawberry.auto
    status: strawberry.auto


@row_type(rows.BeliefGap)
class BeliefGap(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    function: strawberry.auto
    p: strawberry.auto
    confidence: strawberry.auto
    gap: strawberry.auto
    direction: strawberry.auto
    significant: strawberry.auto
    opposes_evidence: strawberry.auto
    consensus_magnitude: strawberry.auto
    rank_score: strawberry.auto
    belief: strawberry.auto
    evidence: strawberry.auto
    beliefs: strawberry.auto
    thresholds: DivergenceThresholds = _thresholds_field()


@described(
    "One belief gap and its cursor.",
    cursor="Pass as `after` to continue after this row (keeps the asOf).",
    node="The belief gap.",
)
class BeliefGapEdge(Edge[BeliefGap]):
    pass


@described(
    "Belief gaps, largest |gap| × consensus magnitude first.",
    edges="The gaps of this page, with cursors.",
    page_info="Where this page ends, and the asOf of every page.",
    total_count="How many gaps match, over all pages.",
    nodes="The gaps of this page, without cursors.",
)
class BeliefGapConnection(Connection[BeliefGap]):
    edges: Sequence[BeliefGapEdge]
    thresholds: DivergenceThresholds = _thresholds_field("these gaps were")


@row_type(rows.Disagreement)
class Disagreement(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    spread: strawberry.auto
    standard_deviation: strawberry.auto
    mean_p: strawberry.auto
    contested: strawberry.auto
    highest: strawberry.auto
    lowest: strawberry.auto
    evidence: strawberry.auto
    beliefs: strawberry.auto
    thresholds: DivergenceThresholds = _thresholds_field()


@row_type(rows.BlindSpot)
class BlindSpot(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    function: strawberry.auto
    status: strawberry.auto
    evidence: strawberry.auto
    beliefs: strawberry.auto
    thresholds: DivergenceThresholds = _thresholds_field()


@row_type(rows.AssumptionDebt)
class AssumptionDebt(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    function: strawberry.auto
    p: strawberry.auto
    magnitude: strawberry.auto
    weight: strawberry.auto
    items_to_validate: strawberry.auto
    items_to_refute: strawberry.auto
    belief: strawberry.auto
    evidence: strawberry.auto
    beliefs: strawberry.auto
    thresholds: DivergenceThresholds = _thresholds_field()


@row_type(rows.FunctionScore)
class FunctionScore(Row):
    pass


@row_type(rows.RankedItem)
class RankedItem(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    evidence_score: strawberry.auto
    evidence: strawberry.auto
    function_scores: strawberry.auto


@row_type(rows.RankAgreement)
class RankAgreement(Row):
    pass


@row_type(rows.PriorityAlignment)
class PriorityAlignment(Row):
    segment: strawberry.auto
    relation: strawberry.auto
    as_of: datetime = strawberry.field(description="The time the rankings are computed as of.")
    items: strawberry.auto
    with_evidence: strawberry.auto
    between_functions: strawberry.auto
    thresholds: DivergenceThresholds = _thresholds_field("these figures were")


@row_type(rows.PairAgreement)
class PairAgreement(Row):
    pass


@row_type(rows.Alignment)
class Alignment(Row):
    alpha: strawberry.auto
    alpha_low: strawberry.auto
    alpha_high: strawberry.auto
    alpha_null_reason: strawberry.auto
    mean_abs_difference: strawberry.auto
    units: strawberry.auto
    functions: strawberry.auto
    pairwise: strawberry.auto
    segment: strawberry.auto
    as_of: datetime = strawberry.field(description="The time the index is computed as of.")
    thresholds: DivergenceThresholds = _thresholds_field("these figures were")


@row_type(rows.PropositionEvidence)
class PropositionEvidence(Row):
    proposition: Proposition = proposition_field()
    text: str = text_field()
    evidence: strawberry.auto


@row_type(rows.StructuralGap)
class StructuralGap(Row):
    kind: strawberry.auto
    owners: strawberry.auto
    entity: strawberry.auto
    related: strawberry.auto
    segments: strawberry.auto
    propositions: strawberry.auto
    explanation: strawberry.auto
    thresholds: DivergenceThresholds = _thresholds_field()


@row_type(rows.DuplicateEntity)
class DuplicateEntity(Row):
    entity: strawberry.auto
    description: strawberry.auto
    created_at: strawberry.auto
    created_by_id: strawberry.ID | None = read(
        "entity.created_by", description="The id of the member who created it."
    )
    created_by: str | None = read(
        "entity.created_by",
        description="The id of the member who created it.",
        deprecation_reason=renamed_reason("createdById", MEMBER_IDS),
    )
    created_by_name: strawberry.auto
    created_by_function: strawberry.auto


@row_type(rows.DuplicatePair)
class DuplicatePair(Row):
    kind: strawberry.auto
    similarity: strawberry.auto
    a: strawberry.auto
    b: strawberry.auto
    across_functions: bool = strawberry.field(
        description="Whether members of two different functions created them."
    )
    min_similarity: float = strawberry.field(description="The threshold this list used.")
