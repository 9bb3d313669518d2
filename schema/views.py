"""The pieces every divergence row is made of (docs/design.md §2): a proposition with its
endpoints' names, what the evidence says about it as of the query, and a function's current
belief. Pure data; the GraphQL types are derived from here.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schema.vocabulary import EntityKind, Relation, SupportStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class EntityRef(_Frozen):
    """An entity named in a divergence row."""

    id: str = Field(description="The entity's id.")
    kind: EntityKind = Field(description="The entity's kind.")
    name: str = Field(description="The entity's name; for a CLAIM, its text.")
    status: str | None = Field(None, description="FEATURE or CLAIM status.")
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
    """What the evidence says about one proposition, as of the query."""

    evidence_ids: tuple[str, ...] = Field(
        description="The ids of the evidence behind it, newest first (at most 20)."
    )
    evidence_count: int = Field(description="Visible evidence items bearing on it.")
    supporting_count: int = Field(description="Items that support it.")
    contradicting_count: int = Field(description="Items that contradict it.")
    distinct_accounts: int = Field(description="Accounts the evidence comes from.")
    distinct_sources: int = Field(
        0,
        description="Sources the evidence comes from: accounts, source keys, and items with "
        "neither (each its own source).",
    )
    newest_evidence_at: datetime | None = Field(description="When the newest item was observed.")
    supporting_weight: float = Field(
        description="S: summed weight of supporting evidence (per-account noisy-OR)."
    )
    contradicting_weight: float = Field(description="C: the same for contradicting.")
    mean_magnitude: float = Field(
        description="Weighted mean magnitude reported by supporting evidence; 1 when none."
    )
    support: float = Field(description="Posterior mean of Beta(1 + S, 1 + C).")
    confidence: float = Field(description="P(θ > 0.5) under that posterior.")
    interval_low: float = Field(description="Lower end of the credible interval.")
    interval_high: float = Field(description="Upper end of the credible interval.")
    interval_level: float = Field(description="Mass of that interval (0.9).")
    status: SupportStatus = Field(
        description="VALIDATED, REFUTED, CONTESTED or UNKNOWN (see the thresholds)."
    )

    @property
    def mass(self) -> float:
        return self.supporting_weight + self.contradicting_weight


class FunctionBelief(_Frozen):
    """A function's current belief on a proposition, as of the query."""

    function: str = Field(description="The function (team) that holds the belief.")
    p: float = Field(description="Probability that the proposition holds.")
    magnitude: int | None = Field(
        description="How much it matters, 1-5 (meaning depends on the relation)."
    )
    stated_at: datetime = Field(description="When it was stated.")
    stated_by: str = Field(description="The id of the member who stated it.")
    belief_id: str = Field(description="The id of the belief statement.")
    seq: int = Field(description="Its number in the function's history.")
    rationale: str | None = Field(None, description="Why the function believes it, as stated.")
