"""The results of the divergence queries (docs/design.md §2): pure data, no database logic.

Every row explains itself: the proposition (with its endpoints' names), the evidence behind
it as of the query's time, and each function's current belief. ``Thresholds`` names every
threshold, with its default, bounds and meaning, so a consumer can say *why* a row is there.
The docstrings and field descriptions are the API's: the GraphQL types are derived from here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, model_validator

# The row pieces and the agreement shapes live in their own modules; their names stay
# importable from here, where every divergence shape has always been found (``__all__``).
from schema.agreement import (
    Alignment,
    AlphaNullReason,
    FunctionScore,
    PairAgreement,
    PriorityAlignment,
    RankAgreement,
    RankedItem,
)
from schema.errors import BadInput
from schema.views import EntityRef, EvidenceView, FunctionBelief, PropositionView
from schema.vocabulary import EntityKind, SupportStatus

# The two thresholds that are not configured, only reported.
CREDIBLE_LEVEL = 0.90
DEFAULT_MAGNITUDE = 3.0


HeldBeliefs = Annotated[tuple[FunctionBelief, ...], SkipValidation]
"""Every function's current belief on a row's proposition: the picture's own tuple, taken as
it is. Rows are built only from a picture, whose beliefs are validated already; validating
them again copied the tuple for every row (58,000 in a whole model's report at 100,000
evidence items), and the collector then walked each copy."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Thresholds(_Frozen):
    """Every threshold the divergence queries use, as configured (docs/design.md §2)."""

    validated_confidence: float = Field(
        0.95,
        description="A proposition is VALIDATED when its confidence P(θ > 0.5) reaches this.",
    )
    refuted_confidence: float = Field(
        0.05, description="A proposition is REFUTED when its confidence is at most this."
    )
    credible_level: float = Field(
        CREDIBLE_LEVEL, description="Probability mass of the reported credible interval of support."
    )
    min_evidence_mass: float = Field(
        1.0,
        description="Belief gaps need evidence mass S + C of at least this; below it, strong "
        "beliefs are assumption debt.",
    )
    significant_gap: float = Field(
        0.25, description="A belief gap is significant when |p − confidence| reaches this."
    )
    contested_spread: float = Field(
        0.4,
        description="Functions disagree (contested among functions) when the spread of their "
        "beliefs, max p − min p, reaches this.",
    )
    strong_belief_high: float = Field(
        0.7, description="A belief is strong (assumption debt) when p is at least this ..."
    )
    strong_belief_low: float = Field(0.3, description="... or at most this.")
    default_magnitude: float = Field(
        DEFAULT_MAGNITUDE,
        description="The magnitude used where none is given (consensus, rankings, debt).",
    )
    min_rank_items: int = Field(
        3,
        ge=3,
        description="Kendall's tau-b is null over fewer items ranked by both sides than this.",
    )
    min_alignment_units: int = Field(
        5, ge=1, description="Krippendorff's alpha is null below this many pairable propositions."
    )
    bootstrap_resamples: int = Field(
        1000, ge=1, description="Resamples of the bootstrap interval of alpha."
    )
    bootstrap_level: float = Field(
        0.95, gt=0.0, lt=1.0, description="Level of that bootstrap interval."
    )
    duplicate_min_similarity: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="Default text similarity from which two entities are flagged as duplicates.",
    )
    half_life_days: float = Field(365.0, description="Evidence weight halves every this many days.")
    decision_confidence_shift: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="A decision is at risk when a proposition's confidence, the evidence now "
        "against the evidence when it was made, moves by at least this.",
    )

    @model_validator(mode="after")
    def _in_order(self) -> Thresholds:
        if not 0.0 <= self.refuted_confidence < self.validated_confidence <= 1.0:
            raise ValueError("need 0 <= refuted confidence < validated confidence <= 1")
        if not 0.0 <= self.strong_belief_low < self.strong_belief_high <= 1.0:
            raise ValueError("need 0 <= strong belief low < strong belief high <= 1")
        if self.min_evidence_mass < 0 or self.significant_gap < 0 or self.contested_spread < 0:
            raise ValueError("evidence mass, gap and spread thresholds must be non-negative")
        return self


class GapDirection(StrEnum):
    OVER_CONFIDENT = "OVER_CONFIDENT"
    UNDER_CONFIDENT = "UNDER_CONFIDENT"
    ALIGNED = "ALIGNED"


class BeliefGap(_Frozen):
    """One function's belief against the evidence: gap = p − confidence."""

    proposition: PropositionView = Field(
        description="The proposition (navigate to its evidence and histories)."
    )
    function: str = Field(description="The function whose belief this is.")
    p: float = Field(description="The function's current belief.")
    confidence: float = Field(description="The evidence's P(θ > 0.5).")
    gap: float = Field(description="p − confidence; positive: over-confident.")
    direction: GapDirection = Field(
        description="Over- or under-confident, from the sign of the gap."
    )
    significant: bool = Field(description="|gap| ≥ thresholds.significantGap.")
    opposes_evidence: bool = Field(
        False,
        description="p and confidence lie on opposite sides of 0.5: the function expects the "
        "opposite of what the evidence says. Otherwise a calibration gap (right direction, "
        "wrong strength).",
    )
    consensus_magnitude: float = Field(
        description="Median magnitude of the functions' current beliefs (3 when none)."
    )
    rank_score: float = Field(description="|gap| × consensus magnitude: the ranking.")
    belief: FunctionBelief = Field(
        description="The function's current belief, with who stated it and when."
    )
    evidence: EvidenceView = Field(
        description="The evidence behind the proposition, as of the query."
    )
    beliefs: HeldBeliefs = Field(description="Every function's current belief on the proposition.")


class Disagreement(_Frozen):
    """How far apart the functions' current beliefs on a proposition are."""

    proposition: PropositionView = Field(description="The proposition the functions disagree on.")
    spread: float = Field(description="max p − min p over the functions' beliefs.")
    standard_deviation: float = Field(description="Population standard deviation of those beliefs.")
    mean_p: float = Field(description="Mean of the functions' current beliefs.")
    contested: bool = Field(
        description="Contested among functions: spread ≥ thresholds.contestedSpread."
    )
    highest: FunctionBelief = Field(description="The most convinced function's belief.")
    lowest: FunctionBelief = Field(description="The least convinced function's belief.")
    evidence: EvidenceView = Field(
        description="The evidence behind the proposition, as of the query."
    )
    beliefs: HeldBeliefs = Field(description="Every function's current belief on it.")


class BlindSpot(_Frozen):
    """A validated or refuted proposition on which the function holds no belief."""

    proposition: PropositionView = Field(
        description="The proposition the function holds no belief on."
    )
    function: str = Field(description="The function that holds no belief on it.")
    status: SupportStatus = Field(description="VALIDATED or REFUTED: what the evidence says.")
    evidence: EvidenceView = Field(
        description="The evidence behind the proposition, as of the query."
    )
    beliefs: HeldBeliefs = Field(description="What the other functions believe.")


class AssumptionDebt(_Frozen):
    """A strong belief (p ≥ strongBeliefHigh or ≤ strongBeliefLow) on a proposition with
    evidence mass below minEvidenceMass: an assumption to test first."""

    proposition: PropositionView = Field(description="The barely evidenced proposition.")
    function: str = Field(description="The function holding the strong belief.")
    p: float = Field(description="Its current belief that the proposition holds.")
    magnitude: int | None = Field(description="How much it matters to the function, 1-5.")
    weight: float = Field(
        description="The belief's magnitude (defaultMagnitude when none): the ranking."
    )
    items_to_validate: int | None = Field(
        None,
        description="The interviews, all supporting, that would validate the proposition: "
        "what testing this assumption takes (null above 1,000).",
    )
    items_to_refute: int | None = Field(
        None, description="The interviews, all contradicting, that would refute it."
    )
    belief: FunctionBelief = Field(description="The belief, with who stated it and when.")
    evidence: EvidenceView = Field(description="The little evidence there is, as of the query.")
    beliefs: HeldBeliefs = Field(description="Every function's current belief on it.")


class StructuralGapKind(StrEnum):
    UNRELIEVED_PAIN = "UNRELIEVED_PAIN"
    UNBACKED_PROMISE = "UNBACKED_PROMISE"
    UNSUPPORTED_PROMISE = "UNSUPPORTED_PROMISE"
    FEATURE_WITHOUT_VALIDATED_VALUE = "FEATURE_WITHOUT_VALIDATED_VALUE"
    UNBEATEN_ALTERNATIVE = "UNBEATEN_ALTERNATIVE"


class PropositionEvidence(_Frozen):
    """A proposition behind a structural gap, with its evidence."""

    proposition: PropositionView = Field(description="A proposition behind the gap.")
    evidence: EvidenceView = Field(description="Its evidence, as of the query.")


class StructuralGap(_Frozen):
    """A hole in the shared model, and the functions that own the fix."""

    kind: StructuralGapKind = Field(description="Which rule found the gap.")
    owners: tuple[str, ...] = Field(description="The functions that own the fix.")
    entity: EntityRef = Field(description="The pain, claim, feature or alternative at issue.")
    related: EntityRef | None = Field(description="For a claim: the goal or pain it promises.")
    segments: tuple[EntityRef, ...] = Field(description="The segments concerned.")
    propositions: tuple[PropositionEvidence, ...] = Field(
        description="The propositions that make it a gap."
    )
    explanation: str = Field(description="The gap in one sentence.")


class DuplicateEntity(_Frozen):
    """One side of a duplicate pair, and who created it."""

    entity: EntityRef = Field(description="The entity.")
    description: str | None = Field(description="Its description, compared with the name.")
    created_at: datetime = Field(description="When it was created.")
    created_by_name: str | None = Field(description="The name of the member who created it.")
    created_by_function: str | None = Field(
        description="The function of the member who created it."
    )


class DuplicatePair(_Frozen):
    """Two entities of one kind whose names and descriptions look like the same thing
    (TF-IDF text similarity, computed locally). Merge them with mergeEntities."""

    kind: EntityKind = Field(description="The kind both entities are of.")
    similarity: float = Field(description="Cosine similarity in [0, 1].")
    a: DuplicateEntity = Field(description="One entity (the smaller id).")
    b: DuplicateEntity = Field(description="The other entity.")

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


class SegmentRequired(BadInput):
    """A query that ranks a segment's items was asked over the whole model; ``query`` names
    it."""

    def __init__(self, query: str) -> None:
        super().__init__(f"{query} needs a segment")
        self.query = query


class SimilarityOutOfRange(BadInput):
    """A duplicate threshold outside [0, 1]; ``min_similarity`` is the one asked for."""

    def __init__(self, min_similarity: float) -> None:
        super().__init__("minSimilarity must be between 0 and 1")
        self.min_similarity = min_similarity


class ForeignGapCursor(BadInput):
    """An ``after`` cursor whose key is not a belief gap's; ``key`` is what it held."""

    def __init__(self, key: list[str]) -> None:
        super().__init__("the `after` cursor is not one this query issued")
        self.key = key


# Only the names kept here for their old importers; every class defined above is public too.
__all__ = [
    "Alignment",
    "AlphaNullReason",
    "EntityRef",
    "EvidenceView",
    "FunctionBelief",
    "FunctionScore",
    "PairAgreement",
    "PriorityAlignment",
    "PropositionView",
    "RankAgreement",
    "RankedItem",
]
