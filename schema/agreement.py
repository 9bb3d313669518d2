"""How much the functions agree (docs/design.md §2 items 5 and 6): priority rankings
against the evidence and each other (Kendall's tau-b), and the alignment index
(Krippendorff's interval alpha) overall and function by function. Pure data.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schema.views import EntityRef, EvidenceView, PropositionView
from schema.vocabulary import Relation


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class AlphaNullReason(StrEnum):
    """Why an alpha is null."""

    TOO_FEW_UNITS = "TOO_FEW_UNITS"
    """Fewer pairable propositions than thresholds.minAlignmentUnits."""
    NO_VARIATION = "NO_VARIATION"
    """Every pairable belief is the same: perfect agreement, for which alpha is undefined."""


NULL_REASON = Field(
    None,
    description="Why alpha is null: TOO_FEW_UNITS or NO_VARIATION (perfect agreement); null "
    "when alpha is not.",
)


class FunctionScore(_Frozen):
    """A function's score of an item: p × magnitude."""

    function: str = Field(description="The function.")
    score: float = Field(description="p × magnitude (defaultMagnitude when none is given).")
    p: float = Field(description="The function's current belief.")
    magnitude: int | None = Field(description="The magnitude it gave, if any.")


class RankedItem(_Frozen):
    """One item of a priority ranking."""

    proposition: PropositionView = Field(
        description="The item: one of the segment's propositions of the relation."
    )
    evidence_score: float | None = Field(
        description="max(S − C, 0) × mean reported magnitude; null when no evidence bears on it."
    )
    evidence: EvidenceView = Field(description="The evidence behind it, as of the query.")
    function_scores: tuple[FunctionScore, ...] = Field(
        description="Each function's score of the item."
    )


class RankAgreement(_Frozen):
    """Kendall's tau-b between two rankings, over the items both rank."""

    a: str = Field(description="A function.")
    b: str = Field(description="Another function, or 'evidence'.")
    tau: float | None = Field(
        description="Null below thresholds.minRankItems common items or for a constant ranking."
    )
    items: int = Field(description="Items both rank.")


class PriorityAlignment(_Frozen):
    """Whether the functions rank a segment's items (e.g. its pains) as the evidence does,
    and as each other do."""

    segment: EntityRef = Field(description="The segment whose priorities these are.")
    relation: Relation = Field(
        description="Which of its items are ranked (EXPERIENCES: its pains, ...)."
    )
    items: tuple[RankedItem, ...] = Field(description="By evidence score, highest first.")
    with_evidence: tuple[RankAgreement, ...] = Field(
        description="Each function's ranking against the evidence's."
    )
    between_functions: tuple[RankAgreement, ...] = Field(description="Every pair of functions.")


class PairAgreement(_Frozen):
    """Agreement of two functions: their alpha and mean |p_a − p_b|."""

    a: str = Field(description="One function.")
    b: str = Field(description="The other function.")
    alpha: float | None = Field(
        description="Interval alpha of the pair; null below thresholds.minAlignmentUnits."
    )
    alpha_low: float | None = Field(
        None,
        description="95% bootstrap interval of the pair's alpha over its propositions, low "
        "(units drawn in proposition-id order with seed 0).",
    )
    alpha_high: float | None = Field(None, description="... and high.")
    alpha_null_reason: AlphaNullReason | None = NULL_REASON
    mean_abs_difference: float | None = Field(
        description="Mean |p_a − p_b| over the propositions both hold a belief on."
    )
    units: int = Field(description="Propositions both hold a belief on.")


class Alignment(_Frozen):
    """The alignment index: Krippendorff's alpha, interval metric (units = propositions,
    coders = functions, values = current p)."""

    segment: EntityRef | None = Field(description="The segment, or null for the whole model.")
    alpha: float | None = Field(
        description="Null below thresholds.minAlignmentUnits pairable propositions."
    )
    alpha_low: float | None = Field(description="Bootstrap interval over units, low.")
    alpha_high: float | None = Field(description="... and high.")
    alpha_null_reason: AlphaNullReason | None = NULL_REASON
    mean_abs_difference: float | None = Field(
        description="On a typical proposition, how far two functions' p are apart; read it "
        "beside alpha, which misleads when answers barely vary."
    )
    units: int = Field(description="Pairable propositions used.")
    functions: tuple[str, ...] = Field(description="The functions holding beliefs here.")
    pairwise: tuple[PairAgreement, ...] = Field(description="The function × function matrix.")
