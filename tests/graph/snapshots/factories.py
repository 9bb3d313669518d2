"""The small models and helpers that snapshot tests share (graph, API, CLI and browser)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from neo4j import AsyncManagedTransaction

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
