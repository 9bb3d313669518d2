"""The model content of a snapshot, read from the graph as of a time, page by page.

Content is what a snapshot freezes and fingerprints (docs/design.md §3): functions, entities,
propositions, the imports evidence counts through, evidence with its bearings, and belief
histories, each with its own times. It is read in pages of bounded size, in a fixed order
(sections as their keys sort, records by id), so memory stays flat whatever the graph size
and the same model always gives the same stream. As of T means: created (recorded, stated)
by T; a retirement, merge or retraction only if it happened by T. Redaction is permanent:
redacted text is gone from every snapshot taken after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import rfc8785
from neo4j import AsyncManagedTransaction
from neo4j.time import DateTime

from graph.kit import keys
from graph.kit.connection import Database, fetch_all
from schema.snapshots import NOT_FINGERPRINTED, OPTIONAL_SECTIONS, SECTIONS, TIME_FIELDS

PAGE = 2000

# The propositions of the content as of $as_of: created by then, both endpoints too. Read
# once per snapshot (ids only, so memory follows the model, not the evidence); evidence
# bearings and beliefs are kept only on these.
CONTENT_PROPOSITIONS = """
MATCH (p:Proposition)
WHERE p.created_at <= $as_of
  AND EXISTS { (p)-[:SUBJECT]->(:Entity) } AND EXISTS { (p)-[:OBJECT]->(:Entity) }
  AND all(t IN [(p)-[:SUBJECT|OBJECT]->(x:Entity) | x.created_at] WHERE t <= $as_of)
RETURN p.id AS id
"""

FUNCTIONS = """
MATCH (f:Function) WHERE f.builtin OR f.created_at <= $as_of
RETURN f.name AS name, coalesce(f.builtin, false) AS builtin,
       CASE WHEN f.builtin THEN null ELSE f.created_at END AS created_at
ORDER BY name
"""

# A retirement or merge is in the content only if it happened by $as_of. The entity and the
# proposition pages share this part, so both name their node ``n``.
AS_OF_FATE = """
WITH n,
     n.retired_at IS NOT NULL AND n.retired_at <= $as_of AS retired,
     n.merged_into IS NOT NULL AND (n.merged_at IS NULL OR n.merged_at <= $as_of) AS merged
"""
LIFECYCLE_COLUMNS = """
       n.created_at AS created_at, n.created_by AS created_by,
       CASE WHEN retired THEN n.retired_at END AS retired_at,
       CASE WHEN retired THEN n.retired_reason END AS retired_reason,
       CASE WHEN retired THEN n.retired_by END AS retired_by,
       CASE WHEN merged THEN n.merged_into END AS merged_into,
       CASE WHEN merged THEN n.merged_at END AS merged_at"""

# Each page seeks the id index from the previous page's last id, in index order.
ENTITIES_PAGE = (
    """
MATCH (n:Entity)
WHERE n.id > $after AND n.created_at <= $as_of
WITH n ORDER BY n.id LIMIT $limit"""
    + AS_OF_FATE
    + """RETURN n.id AS id, n.kind AS kind, n.name AS name, n.description AS description,
       head([(n)-[:IN_SEGMENT]->(s:Segment) WHERE s.created_at <= $as_of | s.id]) AS segment_id,
       n.status AS status, n.alt_kind AS alt_kind, n.channel AS channel,"""
    + LIFECYCLE_COLUMNS
    + """,
       n.idempotency_key AS idempotency_key
"""
)

PROPOSITIONS_PAGE = (
    """
MATCH (n:Proposition)
WHERE n.id > $after AND n.created_at <= $as_of
WITH n ORDER BY n.id LIMIT $limit"""
    + AS_OF_FATE
    + """RETURN n.id AS id, n.relation AS relation,
       head([(n)-[:SUBJECT]->(s:Entity) | s.id]) AS subject_id,
       head([(n)-[:OBJECT]->(o:Entity) | o.id]) AS object_id,"""
    + LIFECYCLE_COLUMNS
    + "\n"
)

IMPORTS = """
MATCH (i:Import)
WHERE i.completed_at <= $as_of
  AND EXISTS { MATCH (ev:Evidence {import_id: i.id}) WHERE ev.recorded_at <= $as_of }
RETURN i.id AS id, i.completed_at AS completed_at
ORDER BY id
"""

# Evidence as of $as_of: recorded by then and, for an import, only once it had completed.
EVIDENCE_PAGE = """
MATCH (ev:Evidence)
WHERE ev.id > $after AND ev.recorded_at <= $as_of
  AND (ev.import_id IS NULL
       OR EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at <= $as_of })
WITH ev ORDER BY ev.id LIMIT $limit
WITH ev, ev.retracted_at IS NOT NULL AND ev.retracted_at <= $as_of AS retracted
RETURN ev.id AS id, ev.source_type AS source_type, ev.summary AS summary,
       ev.source_ref AS source_ref, ev.observed_at AS observed_at,
       ev.recorded_at AS recorded_at, ev.recorded_by AS recorded_by, ev.function AS function,
       head([(ev)-[:FROM_ACCOUNT]->(a:Account) WHERE a.created_at <= $as_of | a.id])
         AS account_id,
       ev.import_id AS import_id,
       CASE WHEN retracted THEN ev.retracted_at END AS retracted_at,
       CASE WHEN retracted THEN ev.retract_reason END AS retract_reason,
       CASE WHEN retracted THEN ev.retracted_by END AS retracted_by,
       ev.redacted_at AS redacted_at, ev.redact_reason AS redact_reason,
       ev.redacted_by AS redacted_by, ev.idempotency_key AS idempotency_key,
       ev.source_key AS source_key,
       [(ev)-[b:BEARS_ON]->(p:Proposition) |
        {proposition_id: p.id, stance: b.stance, strength: b.strength,
         magnitude: b.magnitude}] AS bears
"""

BELIEFS_PAGE = """
MATCH (b:Belief)
WHERE b.id > $after AND b.stated_at <= $as_of
WITH b ORDER BY b.id LIMIT $limit
RETURN b.id AS id, b.function AS function,
       head([(b)-[:ON]->(p:Proposition) | p.id]) AS proposition_id, b.seq AS seq, b.p AS p,
       b.magnitude AS magnitude, b.rationale AS rationale,
       coalesce(b.withdrawn, false) AS withdrawn, b.stated_at AS stated_at,
       b.stated_by AS stated_by, b.vote_id AS vote_id, b.idempotency_key AS idempotency_key
"""

# Decisions made by $as_of, each with the status and confidence of every proposition it rests
# on when it was made (graph/decisions).
DECISIONS = """
MATCH (d:Decision) WHERE d.decided_at <= $as_of
RETURN d.id AS id, d.title AS title, d.rationale AS rationale, d.decided_at AS decided_at,
       d.decided_by AS decided_by, d.function AS function,
       [n IN range(0, size(d.proposition_ids) - 1) |
        {proposition_id: d.proposition_ids[n], status: d.statuses[n],
         confidence: d.confidences[n]}] AS basis
ORDER BY id
"""

PAGED: dict[str, str] = {
    "beliefs": BELIEFS_PAGE,
    "entities": ENTITIES_PAGE,
    "evidence": EVIDENCE_PAGE,
    "propositions": PROPOSITIONS_PAGE,
}
WHOLE: dict[str, str] = {"decisions": DECISIONS, "functions": FUNCTIONS, "imports": IMPORTS}

# ---------------------------------------------------------------- times


def to_iso(value: Any) -> str | None:
    """A time as ISO 8601 UTC with nine fraction digits: one instant, one string."""
    if value is None:
        return None
    if isinstance(value, DateTime):
        utc = value if value.utcoffset() is None else value.astimezone(UTC)
        nanos = int(utc.nanosecond)
        y, mo, d, h, mi, s = utc.year, utc.month, utc.day, utc.hour, utc.minute, int(utc.second)
    elif isinstance(value, datetime):
        native = value if value.tzinfo is None else value.astimezone(UTC)
        nanos = native.microsecond * 1000
        y, mo, d = native.year, native.month, native.day
        h, mi, s = native.hour, native.minute, native.second
    else:
        raise TypeError(f"not a time: {value!r}")
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{nanos:09d}Z"


def from_iso(text: str | None) -> DateTime | None:
    """Parse a time as written by :func:`to_iso` (or any ISO 8601 with an offset)."""
    if text is None:
        return None
    raw = text.strip()
    if raw.endswith("Z") or raw.endswith("z"):
        raw, offset = raw[:-1], timedelta(0)
    else:
        sign_at = max(raw.rfind("+"), raw.rfind("-"))
        if sign_at <= 10:
            raise ValueError(f"a time needs a zone: {text!r}")
        zone = raw[sign_at:]
        raw = raw[:sign_at]
        hours, _, minutes = zone[1:].partition(":")
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if zone[0] == "-":
            offset = -offset
    date_part, _, time_part = raw.partition("T")
    year, month, day = (int(x) for x in date_part.split("-"))
    clock, _, fraction = time_part.partition(".")
    hour, minute, second = (int(x) for x in clock.split(":"))
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    local = DateTime(year, month, day, hour, minute, second, nanos, tzinfo=timezone(offset))
    utc: DateTime = local.astimezone(UTC)
    return utc


# ---------------------------------------------------------------- records


def carried_key(key: str | None, *, redacted: bool) -> str | None:
    """The idempotency key a snapshot carries: the item's own, except that a redacted item's
    key is carried only as redaction leaves it (its HMAC, ``graph/kit/keys.py``), never as
    the client sent it."""
    if key is None or not redacted or key.startswith(keys.REDACTED):
        return key
    return None


def _clean(section: str, row: dict[str, Any], visible: frozenset[str]) -> dict[str, Any] | None:
    """A record as the file holds it (times as strings, numbers with their exact types), or
    None when it does not belong to the content."""
    record = dict(row)
    if section == "propositions" and record["id"] not in visible:
        return None
    if section == "beliefs" and record.get("proposition_id") not in visible:
        return None
    for name in TIME_FIELDS[section]:
        if name in record:
            record[name] = to_iso(record[name])
    if section == "evidence":
        record["idempotency_key"] = carried_key(
            record.get("idempotency_key"), redacted=record.get("redacted_at") is not None
        )
        # The source key (already an HMAC, graph/sources.py) groups an item with its source's
        # others, so it weighs; carried only when set, so content without any keeps the
        # fingerprint it had before source keys existed.
        if record.get("source_key") is None:
            record.pop("source_key", None)
        record["bears"] = sorted(
            (
                {
                    "proposition_id": b["proposition_id"],
                    "stance": b["stance"],
                    "strength": float(b["strength"]),
                    "magnitude": None if b.get("magnitude") is None else int(b["magnitude"]),
                }
                for b in record.get("bears") or []
                if b["proposition_id"] in visible
            ),
            key=lambda b: (b["proposition_id"], b["stance"]),
        )
    elif section == "beliefs":
        record["seq"] = int(record["seq"])
        record["p"] = None if record.get("p") is None else float(record["p"])
        if record.get("magnitude") is not None:
            record["magnitude"] = int(record["magnitude"])
        record["withdrawn"] = bool(record.get("withdrawn"))
    elif section == "functions":
        record["builtin"] = bool(record.get("builtin"))
    elif section == "decisions":
        record["basis"] = [
            {**b, "confidence": float(b["confidence"])} for b in record.get("basis") or []
        ]
    return record


async def _page(
    tx: AsyncManagedTransaction, query: str, as_of: DateTime, after: str, limit: int
) -> list[dict[str, Any]]:
    return await fetch_all(tx, query, as_of=as_of, after=after, limit=limit)


async def _whole(tx: AsyncManagedTransaction, query: str, as_of: DateTime) -> list[dict[str, Any]]:
    return await fetch_all(tx, query, as_of=as_of)


def _pin(as_of: datetime | DateTime) -> DateTime:
    if isinstance(as_of, DateTime):
        return as_of
    pinned = from_iso(to_iso(as_of))
    assert pinned is not None
    return pinned


async def content_propositions(db: Database, as_of: datetime | DateTime) -> frozenset[str]:
    """The ids of the propositions in the content as of a time."""
    rows = await db.read(_whole, CONTENT_PROPOSITIONS, _pin(as_of))
    return frozenset(r["id"] for r in rows)


async def iter_section(
    db: Database,
    section: str,
    as_of: datetime | DateTime,
    visible: frozenset[str],
    *,
    page: int = PAGE,
) -> AsyncIterator[dict[str, Any]]:
    """The records of one section as of a time, in id order, one bounded page at a time."""
    pinned = _pin(as_of)
    if section in WHOLE:
        for row in await db.read(_whole, WHOLE[section], pinned):
            cleaned = _clean(section, row, visible)
            if cleaned is not None:
                yield cleaned
        return
    after = ""
    while True:
        rows = await db.read(_page, PAGED[section], pinned, after, page)
        for row in rows:
            cleaned = _clean(section, row, visible)
            if cleaned is not None:
                yield cleaned
        if len(rows) < page:
            return
        after = str(rows[-1]["id"])


async def iter_content(
    db: Database, as_of: datetime | DateTime, *, page: int = PAGE
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Every content record as of a time: (section, record), sections in key order."""
    visible = await content_propositions(db, as_of)
    for section in SECTIONS:
        async for record in iter_section(db, section, as_of, visible, page=page):
            yield section, record


# ---------------------------------------------------------------- fingerprint


def canonical_record(record: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of a record's content (non-content fields left out)."""
    return bytes(rfc8785.dumps({k: v for k, v in record.items() if k not in NOT_FINGERPRINTED}))


class Fingerprinter:
    """SHA-256 of the canonical JSON of ``{section: [records]}``, fed one record at a time.

    The records must come in the content's order (sections as their keys sort); the hash
    is then exactly that of ``rfc8785.dumps`` over the whole content, without holding it.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256(b"{")
        self._next_section = 0  # index in SECTIONS of the next section to open
        self._open = False
        self._first_record = True

    def _advance_to(self, section: str) -> None:
        target = SECTIONS.index(section)
        if target < self._next_section - (1 if self._open else 0):
            raise ValueError(f"section {section!r} out of order")
        while self._next_section <= target:
            if SECTIONS[self._next_section] in OPTIONAL_SECTIONS and self._next_section < target:
                self._next_section += 1  # passed with no records: not named at all
                continue
            if self._open:
                self._hash.update(b"],")
            name = SECTIONS[self._next_section]
            self._hash.update(bytes(rfc8785.dumps(name)) + b":[")
            self._open = True
            self._first_record = True
            self._next_section += 1

    def add(self, section: str, record: dict[str, Any]) -> None:
        if not self._open or SECTIONS[self._next_section - 1] != section:
            self._advance_to(section)
        if not self._first_record:
            self._hash.update(b",")
        self._hash.update(canonical_record(record))
        self._first_record = False

    def hexdigest(self) -> str:
        self._advance_to(SECTIONS[-1])
        self._hash.update(b"]}")
        return self._hash.hexdigest()


def fingerprint_of(records: Iterable[tuple[str, dict[str, Any]]]) -> str:
    hasher = Fingerprinter()
    for section, record in records:
        hasher.add(section, record)
    return hasher.hexdigest()
