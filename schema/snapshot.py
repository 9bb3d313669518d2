"""Snapshots: the versioned file format and the shapes a reader sees (DESIGN.md §3).

A snapshot file is JSON (``schema/snapshot.schema.json``)::

    {"format": "commonground-snapshot", "schema_version": 1,
     "snapshot": {id, label, as_of, created_at, created_by, fingerprint},
     "quotes": true, "figures": {...},
     "content": {"beliefs": [...], "entities": [...], "evidence": [...],
                 "functions": [...], "imports": [...], "propositions": [...]}}

Only ``content`` is fingerprinted, and within it every field but ``idempotency_key``
(kept so that a client's retry after a restore still changes nothing). Times are ISO 8601
in UTC with nanoseconds, always nine digits, so equal instants are equal strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

SNAPSHOT_FORMAT = "commonground-snapshot"
SNAPSHOT_SCHEMA_VERSION = 1

# The content sections, in the order their keys sort (RFC 8785 orders object keys), which is
# also the order a file lists them in: hashing can then follow the stream.
SECTIONS: tuple[str, ...] = (
    "beliefs",
    "entities",
    "evidence",
    "functions",
    "imports",
    "propositions",
)

# Fields of a content record that travel in the file but are not model content.
NOT_FINGERPRINTED: frozenset[str] = frozenset({"idempotency_key"})

# Evidence fields left out by an export for audiences outside the company.
QUOTE_FIELDS: tuple[str, ...] = ("summary", "source_ref")

ENTITY_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "name",
    "description",
    "segment_id",
    "status",
    "alt_kind",
    "channel",
    "created_at",
    "created_by",
    "retired_at",
    "retired_reason",
    "retired_by",
    "merged_into",
    "merged_at",
    "idempotency_key",
)
PROPOSITION_FIELDS: tuple[str, ...] = (
    "id",
    "relation",
    "subject_id",
    "object_id",
    "created_at",
    "created_by",
    "retired_at",
    "retired_reason",
    "retired_by",
    "merged_into",
    "merged_at",
)
EVIDENCE_FIELDS: tuple[str, ...] = (
    "id",
    "source_type",
    "summary",
    "source_ref",
    "observed_at",
    "recorded_at",
    "recorded_by",
    "function",
    "account_id",
    "import_id",
    "retracted_at",
    "retract_reason",
    "retracted_by",
    "redacted_at",
    "redact_reason",
    "redacted_by",
    "idempotency_key",
    "bears",
)
BELIEF_FIELDS: tuple[str, ...] = (
    "id",
    "function",
    "proposition_id",
    "seq",
    "p",
    "magnitude",
    "rationale",
    "withdrawn",
    "stated_at",
    "stated_by",
    "vote_id",
    "idempotency_key",
)
FUNCTION_FIELDS: tuple[str, ...] = ("name", "builtin", "created_at")
IMPORT_FIELDS: tuple[str, ...] = ("id", "completed_at")

# Which fields of each section hold times (ISO strings in the file, DATETIME in Neo4j).
TIME_FIELDS: dict[str, tuple[str, ...]] = {
    "functions": ("created_at",),
    "entities": ("created_at", "retired_at", "merged_at"),
    "propositions": ("created_at", "retired_at", "merged_at"),
    "imports": ("completed_at",),
    "evidence": ("observed_at", "recorded_at", "retracted_at", "redacted_at"),
    "beliefs": ("stated_at",),
}


class SnapshotInfo(BaseModel):
    """A stored snapshot, as listed: what it is, when it is as of, and its headline figures."""

    id: str
    label: str | None
    as_of: datetime
    created_at: datetime
    created_by: str
    fingerprint: str
    schema_version: int
    counts: dict[str, int] = Field(default_factory=dict)
    alignment_alpha: float | None = None
    alignment_units: int = 0
    mean_abs_difference: float | None = None


class BeliefShift(BaseModel):
    """How one function's current belief on one proposition moved between two snapshots."""

    function: str
    proposition_id: str
    text: str
    before: float | None  # None: no current belief in the older snapshot
    after: float | None  # None: none in the newer one (withdrawn or gone)
    change: str  # "moved", "new" or "withdrawn"

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


class DivergenceChange(BaseModel):
    """A belief gap or disagreement that appeared, vanished or changed between snapshots."""

    kind: str  # "belief_gap" or "disagreement"
    change: str  # "appeared", "vanished" or "changed"
    proposition_id: str
    text: str
    function: str | None = None
    before: float | None = None  # the gap (belief gap) or the spread (disagreement)
    after: float | None = None


class EntityChange(BaseModel):
    id: str
    kind: str  # an EntityKind value, or "PROPOSITION"
    name: str


class SnapshotDiff(BaseModel):
    """What changed from one snapshot to a later one (DESIGN.md §3)."""

    from_id: str
    to_id: str
    from_as_of: datetime
    to_as_of: datetime
    entities_added: list[EntityChange] = Field(default_factory=list)
    entities_removed: list[EntityChange] = Field(default_factory=list)
    entities_retired: list[EntityChange] = Field(default_factory=list)
    propositions_added: list[EntityChange] = Field(default_factory=list)
    propositions_removed: list[EntityChange] = Field(default_factory=list)
    propositions_retired: list[EntityChange] = Field(default_factory=list)
    belief_shifts: list[BeliefShift] = Field(default_factory=list)
    divergence_changes: list[DivergenceChange] = Field(default_factory=list)
    alpha_before: float | None = None
    alpha_after: float | None = None
    mean_abs_difference_before: float | None = None
    mean_abs_difference_after: float | None = None
    shift_threshold: float = 0.05

    @property
    def alpha_change(self) -> float | None:
        if self.alpha_before is None or self.alpha_after is None:
            return None
        return self.alpha_after - self.alpha_before

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["alpha_change"] = self.alpha_change
        return data
