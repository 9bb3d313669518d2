"""The small models and helpers that snapshot tests share (graph, API, CLI and browser)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from neo4j import AsyncManagedTransaction
from neo4j.time import DateTime

from graph import beliefs, entities, evidence, propositions
from graph.kit.connection import Database
from graph.snapshots.content import Fingerprinter, fingerprint_of, iter_content
from graph.snapshots.file import iter_json
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.snapshots import SNAPSHOT_SCHEMA_VERSION
from schema.vocabulary import EntityKind, Role, Stance

BASE = datetime(2026, 1, 1, tzinfo=UTC)


async def no_figures(db: Database, as_of: datetime) -> dict[str, Any]:
    return {"alignment": {"alpha": None, "units": 0}}


async def live_fingerprint(db: Database, as_of: datetime) -> str:
    hasher = Fingerprinter()
    async for section, record in iter_content(db, as_of):
        hasher.add(section, record)
    return hasher.hexdigest()


async def export_to(db: Database, snapshot_id: str, path: Path, *, quotes: bool = True) -> Path:
    with path.open("wb") as handle:
        async for piece in iter_json(db, snapshot_id, quotes=quotes):
            handle.write(piece)
    return path


# ---------------------------------------------------------------- a small company for API tests

SMALL_FUNCTIONS = ("product", "marketing", "sales")
SMALL_PAINS = (
    "Slow setup",
    "Numbers don't match",
    "Rigid layouts",
    "Stale data",
    "Missing CRM",
    "Too few seats",
)


async def small_company(db: Database, at: datetime = BASE) -> dict[str, str]:
    """A segment, five pains, evidence on two of them and three functions' beliefs on all.

    Enough for an alignment index (five units), a validated and a refuted pain, belief gaps
    and a structural gap (a validated pain nothing relieves). Returns names -> ids.
    """

    async def build(tx: AsyncManagedTransaction) -> dict[str, str]:
        ids = {"segment": "seg-ops", "account": "acct-north", "other": "acct-kestrel"}
        await entities.upsert_by_id(
            tx,
            EntityKind.SEGMENT,
            {"id": "seg-ops", "name": "Ops teams", "created_at": at, "created_by": "m"},
        )
        for account, name in (("acct-north", "Northwind"), ("acct-kestrel", "Kestrel")):
            await entities.upsert_by_id(
                tx,
                EntityKind.ACCOUNT,
                {
                    "id": account,
                    "name": name,
                    "segment_id": "seg-ops",
                    "created_at": at,
                    "created_by": "m",
                },
            )
        actor = Actor(member_id="mem-s", name="S", function="success", role=Role.ADMIN)
        for n, name in enumerate(SMALL_PAINS):
            pain = f"pain-{n}"
            await entities.upsert_by_id(
                tx, EntityKind.PAIN, {"id": pain, "name": name, "created_at": at, "created_by": "m"}
            )
            pid = await propositions.upsert(
                tx,
                {
                    "subject_id": "seg-ops",
                    "relation": "EXPERIENCES",
                    "object_id": pain,
                    "created_at": at,
                    "created_by": "m",
                },
            )
            ids[name] = pid
            for f, function in enumerate(SMALL_FUNCTIONS):
                await beliefs.append_given(
                    tx,
                    actor,
                    belief_id=f"bel-{n}-{function}",
                    function=function,
                    proposition_id=pid,
                    p=round(0.15 + 0.17 * ((n + 2 * f) % 5), 2),
                    magnitude=3,
                    rationale=f"{function} view on {name}",
                    withdrawn=False,
                    stated_at=at + timedelta(days=1),
                )
        rows = []
        for n in range(8):
            for name, stance in (
                ("Slow setup", Stance.SUPPORTS),
                ("Stale data", Stance.CONTRADICTS),
            ):
                item = EvidenceCreate(
                    source_type="analytics",
                    summary=f"Quote {n} about {name.lower()} from the field",
                    source_ref=f"ticket-{n}",
                    account_id=("acct-north", "acct-kestrel", None)[n % 3],
                    bears=[BearingCreate(proposition_id=ids[name], stance=stance)],
                )
                pid = ids[name]
                rows.append(
                    evidence.prepare_row(
                        len(rows),
                        item,
                        {pid: pid},
                        actor,
                        at + timedelta(days=2),
                        None,
                        evidence_id=f"ev-{name[:4].lower()}-{n}",
                    )
                )
        await evidence.write_rows(tx, actor, rows, at + timedelta(days=2))
        return ids

    return await db.write(build)


# ---------------------------------------------------------------- a stored snapshot, cheaply

STORED_SNAPSHOT = """
CREATE (:Snapshot {id: $id, label: 'Stored', as_of: $now, created_at: $now,
                   created_by: 'system', schema_version: $version, fingerprint: $fingerprint,
                   counts_json: '{}', figures_json: '{}', chunk_count: 0, complete: true})
"""


async def stored_snapshot(tx: AsyncManagedTransaction, now: datetime) -> str:
    """A complete snapshot of an empty model, written directly (no content read, no figures):
    something to delete or purge in tests that are about who may, not about the content."""
    snapshot_id = f"snap-{uuid.uuid4().hex[:16]}"
    await tx.run(
        STORED_SNAPSHOT,
        id=snapshot_id,
        now=now,
        version=SNAPSHOT_SCHEMA_VERSION,
        fingerprint=fingerprint_of([]),
    )
    return snapshot_id


# ---------------------------------------------------------------- a fixed model, written as stored

BUILD_FIXED_MODEL = """
CREATE (seg:Entity:Segment) SET seg = $seg
CREATE (acct:Entity:Account) SET acct = $acct
CREATE (acct)-[:IN_SEGMENT]->(seg)
CREATE (pain:Entity:Pain) SET pain = $pain
CREATE (dup:Entity:Pain) SET dup = $dup
CREATE (p1:Proposition) SET p1 = $p1
CREATE (p1)-[:SUBJECT]->(seg), (p1)-[:OBJECT]->(pain)
CREATE (p2:Proposition) SET p2 = $p2
CREATE (p2)-[:SUBJECT]->(acct), (p2)-[:OBJECT]->(dup)
CREATE (imp:Import) SET imp = $imp
CREATE (e1:Evidence) SET e1 = $e1
CREATE (e1)-[:FROM_ACCOUNT]->(acct)
CREATE (e1)-[b11:BEARS_ON]->(p1) SET b11 = $b11
CREATE (e1)-[b12:BEARS_ON]->(p2) SET b12 = $b12
CREATE (e2:Evidence) SET e2 = $e2
CREATE (e2)-[b21:BEARS_ON]->(p1) SET b21 = $b21
CREATE (bel1:Belief) SET bel1 = $bel1
CREATE (bel1)-[:ON]->(p1)
CREATE (bel2:Belief) SET bel2 = $bel2
CREATE (bel2)-[:ON]->(p1)
CREATE (bel3:Belief) SET bel3 = $bel3
CREATE (bel3)-[:ON]->(p2)
CREATE (bel4:Belief) SET bel4 = $bel4
CREATE (bel4)-[:ON]->(p1)
CREATE (dec:Decision) SET dec = $dec
SET seg.created_at = datetime($berlin), e2.observed_at = datetime($berlin),
    bel2.stated_at = datetime($berlin)
"""

FIXED_AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


async def build_fixed_model(tx: AsyncManagedTransaction) -> None:
    """A small model written as stored, with every kind of value the content carries: times
    in zones, with nanoseconds and without a zone, integral and tiny floats, text with quotes,
    controls and characters outside ASCII, a retirement, a merge, a retraction, a redaction,
    an import and a decision."""
    odd = 'Café "quoted" \\ back\tslash\n\x07 \u2028 naïve'
    # A named zone goes in as text: the driver cannot send a datetime in a ZoneInfo zone
    # whose offset it has to work out (zoneinfo reads the driver's own DateTime as memory).
    berlin = "2026-01-02T10:30:00[Europe/Berlin]"
    offset = datetime(2026, 1, 3, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5)))
    nanos = DateTime(2026, 1, 4, 0, 0, 0, 123456789, tzinfo=UTC)
    local = datetime(2026, 1, 5, 12, 0)  # no zone: only where nothing compares it with as-of
    later = datetime(2026, 2, 1, tzinfo=UTC)
    by = {"created_by": "mem-a"}
    await tx.run(
        BUILD_FIXED_MODEL,
        berlin=berlin,
        seg={
            "id": "seg-1",
            "kind": "SEGMENT",
            "name": "Ops – Nordic 😀",
            "idempotency_key": "key-seg",
            **by,
        },
        acct={"id": "acct-1", "kind": "ACCOUNT", "name": "Northwind", "created_at": offset, **by},
        pain={
            "id": "pain-1",
            "kind": "PAIN",
            "name": "Setup",
            "description": odd,
            "status": "ACTIVE",
            "created_at": nanos,
            "retired_at": later,
            "retired_reason": "gone",
            "retired_by": "mem-b",
            **by,
        },
        dup={
            "id": "pain-2",
            "kind": "PAIN",
            "name": "Set-up",
            "created_at": offset,
            "merged_into": "pain-1",
            "merged_at": later,
            **by,
        },
        p1={"id": "prop-1", "relation": "EXPERIENCES", "created_at": nanos, **by},
        p2={
            "id": "prop-2",
            "relation": "EXPERIENCES",
            "created_at": offset,
            "retired_at": later,
            "retired_reason": "merged",
            "retired_by": "mem-a",
            **by,
        },
        imp={"id": "imp-1", "completed_at": offset},
        e1={
            "id": "ev-1",
            "source_type": "interview",
            "summary": odd,
            "source_ref": "call 7",
            "observed_at": local,
            "recorded_at": nanos,
            "recorded_by": "mem-a",
            "function": "product",
            "idempotency_key": "key-ev-1",
            "source_key": "src-1",
        },
        b11={"stance": "SUPPORTS", "strength": 1.0, "magnitude": 3},
        b12={"stance": "CONTRADICTS", "strength": 0.000001},
        e2={
            "id": "ev-2",
            "source_type": "survey",
            "recorded_at": offset,
            "recorded_by": "mem-b",
            "function": "sales",
            "import_id": "imp-1",
            "retracted_at": later,
            "retract_reason": "duplicate",
            "retracted_by": "mem-b",
            "redacted_at": later,
            "redact_reason": "personal data",
            "redacted_by": "mem-c",
            "idempotency_key": "key-ev-2",
        },
        b21={"stance": "SUPPORTS", "strength": 0.35},
        bel1={
            "id": "bel-1",
            "function": "product",
            "seq": 1,
            "p": 0.0,
            "magnitude": 2,
            "rationale": odd,
            "withdrawn": False,
            "stated_at": nanos,
            "stated_by": "mem-a",
            "idempotency_key": "key-bel-1",
        },
        bel2={
            "id": "bel-2",
            "function": "product",
            "seq": 2,
            "p": 1.0,
            "stated_by": "mem-a",
            "vote_id": "vote-1",
        },
        bel3={
            "id": "bel-3",
            "function": "sales",
            "seq": 1,
            "p": 0.123456789,
            "withdrawn": True,
            "stated_at": offset,
            "stated_by": "mem-b",
        },
        bel4={
            "id": "bel-4",
            "function": "sales",
            "seq": 1,
            "p": 1.0e-7,
            "stated_at": offset,
            "stated_by": "mem-b",
        },
        dec={
            "id": "dec-1",
            "title": "Ship it",
            "rationale": odd,
            "decided_at": nanos,
            "decided_by": "mem-a",
            "function": "product",
            "proposition_ids": ["prop-1", "prop-2"],
            "statuses": ["VALIDATED", "UNKNOWN"],
            "confidences": [1.0, 0.25],
        },
    )
