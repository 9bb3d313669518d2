"""The domain's data, as pydantic models: pure data, no database logic.

Records become these models in one place, ``graph/kit/records.py``. Inputs are split from the
public shapes (``*Create`` vs the model itself), so a client cannot set server-owned fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schema.vocabulary import (
    SOURCE_TYPES,
    AlternativeKind,
    ClaimStatus,
    EntityKind,
    FeatureStatus,
    Relation,
    Role,
    Stance,
)

MAX_NAME = 500
MAX_TEXT = 10_000
MAX_KEY = 200


class Actor(BaseModel):
    """Who is calling: a member acting as their function, or the system (CLI, seeding)."""

    model_config = ConfigDict(frozen=True)

    member_id: str
    name: str
    function: str | None
    role: Role

    @classmethod
    def system(cls) -> Actor:
        return cls(member_id="system", name="system", function=None, role=Role.ADMIN)

    @property
    def can_write(self) -> bool:
        return self.role is not Role.VIEWER

    @property
    def may_act_for_any_function(self) -> bool:
        return self.role in (Role.FACILITATOR, Role.ADMIN)


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def stripped_or_none(value: str | None, field: str) -> str | None:
    """Optional free text (a label, a rationale): NUL refused naming the field, surrounding
    blanks dropped, a blank answer read as none."""
    if value is None:
        return None
    if "\x00" in value:
        raise ValueError(f"{field} must not contain NUL characters")
    return value.strip() or None


class EntityCreate(BaseModel):
    kind: EntityKind
    name: str = Field(min_length=1, max_length=MAX_NAME)
    description: str | None = Field(None, max_length=MAX_TEXT)
    segment_id: str | None = None
    status: str | None = None
    alt_kind: str | None = None
    channel: str | None = Field(None, max_length=MAX_NAME)
    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_KEY)

    _text = field_validator("name", "description", "channel", "idempotency_key")(_clean_text)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> EntityCreate:
        if self.kind is EntityKind.ACCOUNT and not self.segment_id:
            raise ValueError("an ACCOUNT needs segmentId: the segment it belongs to")
        if self.kind is not EntityKind.ACCOUNT and self.segment_id:
            raise ValueError("segmentId is only for an ACCOUNT")
        self.status = check_status(self.kind, self.status)
        if self.kind is EntityKind.ALTERNATIVE:
            allowed = [k.value for k in AlternativeKind]
            if self.alt_kind is None:
                self.alt_kind = AlternativeKind.STATUS_QUO.value
            elif self.alt_kind not in allowed:
                raise ValueError(f"altKind must be one of {', '.join(allowed)}")
        elif self.alt_kind is not None:
            raise ValueError("altKind is only for an ALTERNATIVE")
        if self.channel is not None and self.kind is not EntityKind.CLAIM:
            raise ValueError("channel is only for a CLAIM")
        return self


def check_status(kind: EntityKind, status: str | None) -> str | None:
    """Validate a FEATURE's or CLAIM's status; give the default when none is given."""
    if kind is EntityKind.FEATURE:
        allowed = [s.value for s in FeatureStatus]
        default = FeatureStatus.IDEA.value
    elif kind is EntityKind.CLAIM:
        allowed = [s.value for s in ClaimStatus]
        default = ClaimStatus.DRAFT.value
    else:
        if status is not None:
            raise ValueError("status is only for a FEATURE or a CLAIM")
        return None
    if status is None:
        return default
    if status not in allowed:
        raise ValueError(f"a {kind.value}'s status must be one of {', '.join(allowed)}")
    return status


class EntityUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    description: str | None = Field(None, max_length=MAX_TEXT)
    status: str | None = None
    alt_kind: str | None = None
    channel: str | None = Field(None, max_length=MAX_NAME)

    _text = field_validator("name", "description", "channel")(_clean_text)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str | None:
        # As on create: a rename to blanks would leave the entity with an empty name.
        if value is not None and not value.strip():
            raise ValueError("name must not be blank")
        return value


class Entity(BaseModel):
    id: str
    kind: EntityKind
    name: str
    description: str | None = None
    segment_id: str | None = None
    status: str | None = None
    alt_kind: str | None = None
    channel: str | None = None
    created_at: datetime
    created_by: str
    retired_at: datetime | None = None
    retired_reason: str | None = None
    merged_into: str | None = None


class PropositionCreate(BaseModel):
    subject_id: str = Field(min_length=1, max_length=MAX_KEY)
    relation: Relation
    object_id: str = Field(min_length=1, max_length=MAX_KEY)


class Proposition(BaseModel):
    id: str
    relation: Relation
    subject_id: str
    object_id: str
    created_at: datetime
    created_by: str
    retired_at: datetime | None = None
    retired_reason: str | None = None


class TeamFunction(BaseModel):
    name: str
    builtin: bool
    created_at: datetime


class Member(BaseModel):
    id: str
    name: str
    function: str
    role: Role
    active: bool
    created_at: datetime


class BearingCreate(BaseModel):
    """How one evidence item bears on one proposition."""

    proposition_id: str = Field(min_length=1, max_length=MAX_KEY)
    stance: Stance
    strength: float = Field(1.0, gt=0.0, le=1.0)
    magnitude: int | None = Field(None, ge=1, le=5)


class EvidenceCreate(BaseModel):
    source_type: str
    summary: str = Field(min_length=1, max_length=MAX_TEXT)
    source_ref: str | None = Field(None, max_length=2000)
    observed_at: datetime | None = None
    account_id: str | None = Field(None, max_length=MAX_KEY)
    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_KEY)
    # Who the item comes from where no account is known (an e-mail): stored only as an HMAC.
    source_key: str | None = Field(None, min_length=1, max_length=MAX_KEY)
    bears: list[BearingCreate] = Field(min_length=1, max_length=50)

    _text = field_validator("summary", "source_ref", "idempotency_key", "source_key")(_clean_text)

    @field_validator("source_type")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value not in SOURCE_TYPES:
            raise ValueError(f"sourceType must be one of {', '.join(SOURCE_TYPES)}")
        return value

    @field_validator("observed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("observedAt needs a time zone (e.g. 2026-05-03T10:00:00Z)")
        return value

    @model_validator(mode="after")
    def _one_bearing_per_proposition(self) -> EvidenceCreate:
        ids = [b.proposition_id for b in self.bears]
        if len(ids) != len(set(ids)):
            raise ValueError("an item may bear on each proposition once")
        return self


class Bearing(BaseModel):
    proposition_id: str
    stance: Stance
    strength: float
    magnitude: int | None = None


class Evidence(BaseModel):
    id: str
    source_type: str
    summary: str | None  # None once redacted
    source_ref: str | None = None
    observed_at: datetime
    recorded_at: datetime
    recorded_by: str
    function: str | None
    account_id: str | None = None
    import_id: str | None = None
    retracted_at: datetime | None = None
    retract_reason: str | None = None
    redacted_at: datetime | None = None
    bears: list[Bearing] = []


class PartialEvidence:
    """An evidence item read with only the fields a query selected (a nested GraphQL page,
    ``graph.evidence.reading.page_items``): those hold what ``Evidence`` holds; the others
    read as None (``bears`` as no bearings), and nothing reads them, since nothing asked."""

    id: str
    source_type: str
    summary: str | None
    source_ref: str | None
    observed_at: datetime
    recorded_at: datetime
    recorded_by: str
    function: str | None
    account_id: str | None
    import_id: str | None
    retracted_at: datetime | None
    retract_reason: str | None
    redacted_at: datetime | None
    bears: list[Bearing]

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only for the fields that were not read
        if name not in Evidence.model_fields:
            raise AttributeError(name)
        return [] if name == "bears" else None


EvidenceItem = Evidence | PartialEvidence
"""An evidence item as a read gives it: whole, or with the fields a query selected."""


class BeliefCreate(BaseModel):
    proposition_id: str = Field(min_length=1, max_length=MAX_KEY)
    p: float = Field(ge=0.0, le=1.0)
    magnitude: int | None = Field(None, ge=1, le=5)
    rationale: str | None = Field(None, max_length=MAX_TEXT)
    function: str | None = Field(None, max_length=40)
    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_KEY)

    _text = field_validator("rationale", "idempotency_key")(_clean_text)


class Belief(BaseModel):
    id: str
    proposition_id: str
    function: str
    seq: int
    p: float | None  # None for a withdrawal
    magnitude: int | None = None
    rationale: str | None = None
    withdrawn: bool = False
    stated_at: datetime
    stated_by: str
    vote_id: str | None = None
