"""Decisions that reopen themselves (docs/design.md §2b): shapes and the typed ways a
decision request fails.

A decision (a title, a rationale, the propositions it rests on) records each proposition's
status and confidence when it was made. It is *at risk* when, weighed at one time T, the
evidence visible now and the evidence visible when it was made tell a different story about
one of its propositions: another status, a confidence apart by the configured shift or more,
or the proposition retired or merged since. Age alone never puts a decision at risk: both
sides are weighed at the same T.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schema.errors import BadInput, Forbidden
from schema.models import stripped_or_none
from schema.vocabulary import SupportStatus

MAX_DECISION_PROPOSITIONS = 50
MAX_TITLE = 500
MAX_RATIONALE = 10_000
MAX_KEY = 200
MOVED_BY_LIMIT = 20  # evidence items listed per proposition; ``moved_by_count`` counts all


class DecisionCreate(BaseModel):
    """A decision to record: what was decided, why, and the propositions it rests on."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    rationale: str | None = Field(None, max_length=MAX_RATIONALE)
    proposition_ids: list[str] = Field(min_length=1, max_length=MAX_DECISION_PROPOSITIONS)
    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_KEY)

    @field_validator("title")
    @classmethod
    def _clean_title(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("title must not contain NUL characters")
        cleaned = value.strip()
        if not cleaned:
            raise ValueError("title must not be blank")
        return cleaned

    @field_validator("rationale")
    @classmethod
    def _clean_rationale(cls, value: str | None) -> str | None:
        return stripped_or_none(value, "rationale")

    @field_validator("proposition_ids")
    @classmethod
    def _distinct_ids(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 200 or "\x00" in v for v in cleaned):
            raise ValueError("every proposition id must be 1-200 characters")
        return list(dict.fromkeys(cleaned))


class BasisRecord(BaseModel):
    """One proposition a decision rests on, as the evidence stood when it was made."""

    model_config = ConfigDict(frozen=True)

    proposition_id: str = Field(description="The proposition, as recorded (a live id then).")
    status: SupportStatus = Field(description="What the evidence said when the decision was made.")
    confidence: float = Field(description="The evidence's confidence when the decision was made.")


class Decision(BaseModel):
    """A recorded decision: model content, kept in snapshots."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    rationale: str | None = None
    decided_at: datetime
    decided_by: str = Field(description="The id of the member who recorded it.")
    function: str | None = Field(None, description="The function they recorded it as.")
    basis: tuple[BasisRecord, ...]


class BasisCheck(BaseModel):
    """One proposition of a decision, the evidence then and now weighed at the same time."""

    model_config = ConfigDict(frozen=True)

    proposition_id: str = Field(description="The proposition the decision rests on, as recorded.")
    current_id: str = Field(description="The same proposition now: a merged one's survivor.")
    status_when_decided: SupportStatus
    confidence_when_decided: float
    status_then: SupportStatus = Field(
        description="The evidence visible when the decision was made, weighed as of asOf."
    )
    confidence_then: float
    status_now: SupportStatus = Field(description="The evidence visible at asOf, weighed then.")
    confidence_now: float
    retired: bool = Field(description="Retired or merged away by asOf.")
    retired_reason: str | None = None
    merged_into: str | None = Field(None, description="The survivor, when merged by asOf.")
    reasons: tuple[str, ...] = Field(
        description="Why it puts the decision at risk; empty when it does not."
    )
    moved_by: tuple[str, ...] = Field(
        description="Ids of the evidence recorded or retracted since the decision (newest "
        f"change first, at most {MOVED_BY_LIMIT})."
    )
    moved_by_count: int = Field(description="How many items were recorded or retracted since.")

    @property
    def at_risk(self) -> bool:
        return bool(self.reasons)


class DecisionCheck(BaseModel):
    """A decision and whether the evidence still backs it, as of a time."""

    model_config = ConfigDict(frozen=True)

    decision: Decision
    as_of: datetime
    confidence_shift: float = Field(description="The shift of confidence that puts it at risk.")
    basis: tuple[BasisCheck, ...]

    @property
    def at_risk(self) -> bool:
        return any(b.at_risk for b in self.basis)


class NotADecisionMaker(Forbidden):
    """Viewers read decisions; contributors, facilitators and admins record them."""

    def __init__(self, member_id: str) -> None:
        super().__init__("viewers cannot record decisions", member_id=member_id)
        self.member_id = member_id


class DecisionOnRetiredProposition(BadInput):
    """A decision cannot rest on a proposition that is already retired."""

    def __init__(self, proposition_id: str) -> None:
        super().__init__(
            f"proposition {proposition_id!r} is retired; a decision cannot rest on it",
            proposition_id=proposition_id,
        )
        self.proposition_id = proposition_id


class DecisionKeyReused(BadInput):
    """An idempotency key already recorded a different decision for this function."""

    def __init__(self, idempotency_key: str, decision_id: str) -> None:
        super().__init__(
            f"idempotencyKey {idempotency_key!r} already recorded another decision ({decision_id})",
            decision_id=decision_id,
        )
        self.idempotency_key = idempotency_key
        self.decision_id = decision_id
