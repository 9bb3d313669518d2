"""Evidence to collect next (docs/design.md §2b): what one more item would do to each
proposition, and the research plan that ranks them. Pure data."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schema.views import EvidenceView, FunctionBelief, PropositionView


class EvidenceValue(BaseModel):
    """A proposition worth collecting evidence on, with the items it needs."""

    model_config = ConfigDict(frozen=True)

    proposition: PropositionView = Field(description="The proposition.")
    value_of_information: float = Field(
        description="Expected shift of confidence P(θ > 0.5) from one more item of weight "
        "reliability(interview), supporting with probability the posterior mean."
    )
    items_to_validate: int | None = Field(
        description="Fewest such items, all supporting, that would make it VALIDATED; 0 when it "
        "is; null above 1,000."
    )
    items_to_refute: int | None = Field(
        description="Fewest such items, all contradicting, that would make it REFUTED; 0 when "
        "it is; null above 1,000."
    )
    consensus_magnitude: float = Field(
        description="Median magnitude of the functions' current beliefs (3 when none)."
    )
    far_functions: tuple[str, ...] = Field(
        description="The functions whose p is at least significantGap from the confidence, "
        "whatever the evidence mass."
    )
    score: float = Field(
        description="VoI × consensus magnitude × (1 + the number of far functions), rounded to "
        "9 decimals: the ranking."
    )
    evidence: EvidenceView = Field(description="The evidence behind it, as of the query.")
    beliefs: tuple[FunctionBelief, ...] = Field(description="Every function's current belief.")
