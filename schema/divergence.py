"""The results of the divergence queries (DESIGN.md §2): pure data, no database logic.

Every row explains itself: the proposition (with its endpoints' names), the evidence behind
it as of the query's time, and each function's current belief. ``Thresholds`` names every
configurable threshold, so a consumer can say *why* a row is there.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from schema.vocabulary import EntityKind, Relation, SupportStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Thresholds(_Frozen):
    """Every threshold the divergence queries use, with its configured value."""

    validated_confidence: float
    refuted_confidence: float
    credible_level: float
    min_evidence_mass: float
    significant_gap: float
    contested_spread: float
    strong_belief_high: float
    strong_belief_low: float
    default_magnitude: float
    min_rank_items: int
    min_alignment_units: int
    bootstrap_resamples: int
    bootstrap_level: float
    duplicate_min_similarity: float
    half_life_days: float


class EntityRef(_Frozen):
    id: str
    kind: EntityKind
    name: str
    status: str | None = None
    created_by: str | None = None


class PropositionView(_Frozen):
    id: str
    relation: Relation
    subject: EntityRef
    object: EntityRef
    created_at: datetime
    created_by: str

    @property
    def text(self) -> str:
        return f"{self.subject.name} {self.relation.value} {self.object.name}"


class EvidenceView(_Frozen):
    """What the evidence says about one proposition as of a time (DESIGN.md §2, Support)."""

    evidence_ids: tuple[str, ...]
    evidence_count: int
    supporting_count: int
    contradicting_count: int
    distinct_accounts: int
    newest_evidence_at: datetime | None
    supporting_weight: float
    contradicting_weight: float
    mean_magnitude: float
    support: float
    confidence: float
    interval_low: float
    interval_high: float
    interval_level: float
    status: SupportStatus

    @property
    def mass(self) -> float:
        return self.supporting_weight + self.contradicting_weight


class FunctionBelief(_Frozen):
    """A function's current belief on a proposition."""

    function: str
    p: float
    magnitude: int | None
    stated_at: datetime
    stated_by: str
    belief_id: str
    seq: int
    rationale: str | None = None


class GapDirection(StrEnum):
    OVER_CONFIDENT = "OVER_CONFIDENT"
    UNDER_CONFIDENT = "UNDER_CONFIDENT"
    ALIGNED = "ALIGNED"


class BeliefGap(_Frozen):
    """One function's belief against the evidence: gap = p - confidence."""

    proposition: PropositionView
    function: str
    p: float
    confidence: float
    gap: float
    direction: GapDirection
    significant: bool
    consensus_magnitude: float
    rank_score: float
    belief: FunctionBelief
    evidence: EvidenceView
    beliefs: tuple[FunctionBelief, ...]


class Disagreement(_Frozen):
    """How far apart the functions' current beliefs on one proposition are."""

    proposition: PropositionView
    spread: float
    standard_deviation: float
    mean_p: float
    contested: bool
    highest: FunctionBelief
    lowest: FunctionBelief
    evidence: EvidenceView
    beliefs: tuple[FunctionBelief, ...]


class BlindSpot(_Frozen):
    """A validated or refuted proposition on which a function holds no belief."""

    proposition: PropositionView
    function: str
    status: SupportStatus
    evidence: EvidenceView
    beliefs: tuple[FunctionBelief, ...]


class AssumptionDebt(_Frozen):
    """A strong belief on a proposition the evidence has barely touched."""

    proposition: PropositionView
    function: str
    p: float
    magnitude: int | None
    weight: float
    belief: FunctionBelief
    evidence: EvidenceView
    beliefs: tuple[FunctionBelief, ...]


class FunctionScore(_Frozen):
    function: str
    score: float
    p: float
    magnitude: int | None


class RankedItem(_Frozen):
    """One item of a priority ranking and how the evidence and each function score it."""

    proposition: PropositionView
    evidence_score: float | None
    evidence: EvidenceView
    function_scores: tuple[FunctionScore, ...]


class RankAgreement(_Frozen):
    """Kendall's tau-b between two rankings over the items both rank."""

    a: str
    b: str
    tau: float | None
    items: int


class PriorityAlignment(_Frozen):
    segment: EntityRef
    relation: Relation
    items: tuple[RankedItem, ...]
    with_evidence: tuple[RankAgreement, ...]
    between_functions: tuple[RankAgreement, ...]


class PairAgreement(_Frozen):
    a: str
    b: str
    alpha: float | None
    mean_abs_difference: float | None
    units: int


class Alignment(_Frozen):
    """Krippendorff's interval alpha over the functions' current beliefs."""

    segment: EntityRef | None
    alpha: float | None
    alpha_low: float | None
    alpha_high: float | None
    mean_abs_difference: float | None
    units: int
    functions: tuple[str, ...]
    pairwise: tuple[PairAgreement, ...]


class StructuralGapKind(StrEnum):
    UNRELIEVED_PAIN = "UNRELIEVED_PAIN"
    UNBACKED_PROMISE = "UNBACKED_PROMISE"
    UNSUPPORTED_PROMISE = "UNSUPPORTED_PROMISE"
    FEATURE_WITHOUT_VALIDATED_VALUE = "FEATURE_WITHOUT_VALIDATED_VALUE"
    UNBEATEN_ALTERNATIVE = "UNBEATEN_ALTERNATIVE"


class PropositionEvidence(_Frozen):
    proposition: PropositionView
    evidence: EvidenceView


class StructuralGap(_Frozen):
    """A hole in the shared model, and the functions that own the fix."""

    kind: StructuralGapKind
    owners: tuple[str, ...]
    entity: EntityRef
    related: EntityRef | None
    segments: tuple[EntityRef, ...]
    propositions: tuple[PropositionEvidence, ...]
    explanation: str


class DuplicateEntity(_Frozen):
    entity: EntityRef
    description: str | None
    created_at: datetime
    created_by_name: str | None
    created_by_function: str | None


class DuplicatePair(_Frozen):
    kind: EntityKind
    similarity: float
    a: DuplicateEntity
    b: DuplicateEntity

    @property
    def across_functions(self) -> bool:
        return self.a.created_by_function != self.b.created_by_function


class SegmentReport(_Frozen):
    """Everything the divergence engine says about one segment (or the whole model)."""

    segment: EntityRef | None
    as_of: datetime
    thresholds: Thresholds
    belief_gaps: tuple[BeliefGap, ...]
    disagreements: tuple[Disagreement, ...]
    blind_spots: tuple[BlindSpot, ...]
    assumption_debt: tuple[AssumptionDebt, ...]
    priority_alignment: tuple[PriorityAlignment, ...]
    alignment: Alignment
    structural_gaps: tuple[StructuralGap, ...]


class MergeResult(_Frozen):
    """What ``mergeEntities`` did."""

    keep_id: str
    merged_id: str
    moved_propositions: tuple[tuple[str, str], ...]  # (old id, new id)
    folded_propositions: tuple[tuple[str, str], ...]  # (old id, survivor id)
    evidence_links_moved: int
    evidence_links_united: int  # an item bore on both: its two links became one
    beliefs_moved: int
