"""Snapshots: the versioned file format, the shapes a reader sees, and the typed ways a
snapshot request fails (docs/design.md §3).

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

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from schema.errors import BadInput, Conflict, Forbidden, NotFound

SNAPSHOT_FORMAT = "commonground-snapshot"
SNAPSHOT_SCHEMA_VERSION = 1

# The content sections, in the order their keys sort (RFC 8785 orders object keys), which is
# also the order a file lists them in: hashing can then follow the stream.
SECTIONS: tuple[str, ...] = (
    "beliefs",
    "decisions",
    "entities",
    "evidence",
    "functions",
    "imports",
    "propositions",
)

# Sections the fingerprint names only when they hold records, so that a model without any
# (every snapshot taken before decisions were recorded) keeps the fingerprint it had.
OPTIONAL_SECTIONS: frozenset[str] = frozenset({"decisions"})

# Fields of a content record that travel in the file but are not model content.
NOT_FINGERPRINTED: frozenset[str] = frozenset({"idempotency_key"})

# Evidence fields left out by an export for audiences outside the company.
QUOTE_FIELDS: tuple[str, ...] = ("summary", "source_ref")

# Who made a record and, as of the snapshot's time, whether and how it left the model.
LIFECYCLE_FIELDS: tuple[str, ...] = (
    "created_at",
    "created_by",
    "retired_at",
    "retired_reason",
    "retired_by",
    "merged_into",
    "merged_at",
)
ENTITY_FIELDS: tuple[str, ...] = (
    "id",
    "kind",
    "name",
    "description",
    "segment_id",
    "status",
    "alt_kind",
    "channel",
    *LIFECYCLE_FIELDS,
    "idempotency_key",
)
PROPOSITION_FIELDS: tuple[str, ...] = (
    "id",
    "relation",
    "subject_id",
    "object_id",
    *LIFECYCLE_FIELDS,
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
    "decisions": ("decided_at",),
}


class SnapshotPurge(BaseModel):
    """A redacted item's text and key taken out of a stored snapshot after it was taken: the
    one change a snapshot ever undergoes, so its fingerprint's history."""

    evidence_id: str
    at: datetime
    by: str  # the admin's member id
    reason: str
    fingerprint_before: str
    fingerprint_after: str


class SnapshotQuota(BaseModel):
    """How many snapshots may be taken: per member in any 24 hours, and stored in all."""

    per_member_per_day: int
    total: int


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
    purges: list[SnapshotPurge] = Field(default_factory=list)


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
    """What changed from one snapshot to a later one (docs/design.md §3)."""

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
    # How each function's calibration moved, one sentence each (docs/design.md §2b).
    calibration_changes: list[str] = Field(default_factory=list)
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


# --- expected failures --------------------------------------------------------------------
# Each carries the objects involved as attributes; the wire answer (code and message) comes
# from the root class, as it did before the subclasses existed.


class SnapshotNotFound(NotFound):
    def __init__(self, snapshot_id: str) -> None:
        super().__init__("snapshot", snapshot_id)
        self.snapshot_id = snapshot_id


class NotAllowedToSnapshot(Forbidden):
    """A viewer reads snapshots but does not take them."""

    def __init__(self, member_id: str) -> None:
        super().__init__("viewers may read but not create snapshots")
        self.member_id = member_id


class NotAnAdminForSnapshots(Forbidden):
    """Deleting a snapshot, or purging a redacted item from stored ones, is for admins."""

    def __init__(self, member_id: str, action: str) -> None:
        super().__init__(f"only admins may {action}")
        self.member_id = member_id
        self.action = action


class SnapshotQuotaUsed(Conflict):
    """The member has taken as many snapshots in the last 24 hours as a member may."""

    def __init__(self, member_id: str, used: int, limit: int) -> None:
        super().__init__(
            f"you have taken {used} snapshots in the last 24 hours; the limit is {limit} a "
            "member (COMMONGROUND_SNAPSHOTS_PER_MEMBER_PER_DAY): try again later",
            used=used,
            limit=limit,
        )
        self.member_id = member_id
        self.used = used
        self.limit = limit


class SnapshotStoreFull(Conflict):
    """As many snapshots are stored as the installation keeps."""

    def __init__(self, stored: int, limit: int) -> None:
        super().__init__(
            f"{stored} snapshots are stored; the limit is {limit} (COMMONGROUND_MAX_SNAPSHOTS): "
            "an admin deletes old ones (deleteSnapshot) before new ones can be taken",
            stored=stored,
            limit=limit,
        )
        self.stored = stored
        self.limit = limit


class EvidenceNotRedacted(BadInput):
    """Only a redacted item's text is purged from stored snapshots."""

    def __init__(self, evidence_id: str) -> None:
        super().__init__(
            f"evidence {evidence_id!r} is not redacted: redact it first (redactEvidence), "
            "then purge it from older snapshots"
        )
        self.evidence_id = evidence_id


class BadSnapshotLabel(BadInput):
    def __init__(self, label: str) -> None:
        super().__init__("a label is at most 200 characters")
        self.label = label


class AsOfWithoutZone(BadInput):
    """A naive time would be read in the server's zone: ambiguous for a frozen record."""

    def __init__(self, as_of: datetime) -> None:
        super().__init__("asOf needs a time zone (e.g. 2026-06-30T00:00:00Z)")
        self.as_of = as_of


class AsOfInFuture(BadInput):
    def __init__(self, as_of: datetime, now: datetime) -> None:
        super().__init__("asOf is in the future: a snapshot freezes what is known, not what may be")
        self.as_of = as_of
        self.now = now


class UnknownExportFormat(BadInput):
    def __init__(self, fmt: str, formats: Sequence[str], *, what: str = "format") -> None:
        super().__init__(f"{what} must be one of {', '.join(formats)}")
        self.fmt = fmt
        self.formats = tuple(formats)


class UnknownTable(BadInput):
    def __init__(self, table: str, tables: Sequence[str]) -> None:
        super().__init__(f"table must be one of {', '.join(tables)}")
        self.table = table
        self.tables = tuple(tables)


class TableOnlyForCsv(BadInput):
    """``?table=`` picks a CSV table; with another format, or an unknown name, it is refused."""

    def __init__(self, table: str, fmt: str, tables: Sequence[str]) -> None:
        super().__init__(f"table is for csv only, one of {', '.join(tables)}")
        self.table = table
        self.fmt = fmt
        self.tables = tuple(tables)


class NotASnapshotFile(BadInput):
    """The file is not JSON, not a Common Ground snapshot, or has no fingerprint."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


class UnsupportedSnapshotVersion(BadInput):
    def __init__(self, path: Path, version: object) -> None:
        super().__init__(
            f"this snapshot file has schema version {version}; this version of Common Ground "
            f"reads version {SNAPSHOT_SCHEMA_VERSION}"
        )
        self.path = path
        self.version = version


class MalformedSnapshotLine(BadInput):
    """A line of the streaming layout that is not where a section, record or end can be."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class MalformedSnapshotRecord(BadInput):
    """A record restore could not write faithfully; found before anything is written."""

    def __init__(self, section: str, record_id: object, problem: str) -> None:
        super().__init__(f"{section} record {record_id!r} is malformed: {problem}")
        self.section = section
        self.record_id = record_id
        self.problem = problem


class RestoreNeedsQuotes(BadInput):
    """An export without evidence quotes lost content: restoring it would not reproduce it."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            "this file was exported without evidence quotes (--no-quotes); only a full "
            "export can be restored"
        )
        self.path = path


class FingerprintMismatch(BadInput):
    """The content hashes to something else than the file records: it was changed."""

    def __init__(self, path: Path, recorded: str, actual: str) -> None:
        super().__init__(
            f"fingerprint mismatch: the file records {recorded[:16]}… but its content "
            f"hashes to {actual[:16]}…; the file was changed after export"
        )
        self.path = path
        self.recorded = recorded
        self.actual = actual


class RestoreRefused(Conflict):
    """Restore writes into an empty database unless forced, so nothing is mixed by accident."""

    def __init__(self, entities: int) -> None:
        super().__init__(
            f"the database already holds {entities} entities; restore into an empty database, "
            "or pass --force to add the snapshot's content beside them"
        )
        self.entities = entities
