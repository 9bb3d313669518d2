"""The domain's data, as pydantic models: pure data, no database logic.

Records become these models in one place, ``graph/records.py``. Inputs are split from the
public shapes (``*Create`` vs the model itself), so a client cannot set server-owned fields.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schema.vocabulary import (
    AlternativeKind,
    ClaimStatus,
    EntityKind,
    FeatureStatus,
    Relation,
    Role,
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
