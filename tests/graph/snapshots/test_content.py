"""Snapshot content: read from the graph as of a time, and fingerprinted as it streams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import rfc8785

from graph import beliefs, entities, evidence, propositions
from graph.kit.connection import Database
from graph.snapshots.content import Fingerprinter, iter_content, to_iso
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.snapshots import OPTIONAL_SECTIONS, SECTIONS
from schema.vocabulary import EntityKind, Role, Stance
from tests.graph.snapshots.factories import BASE, live_fingerprint


def test_fingerprinter_equals_hashing_the_whole_canonical_json() -> None:
    import hashlib

    # A section only the records of some models have is named only when it holds any.
    content: dict[str, list[dict[str, Any]]] = {
        s: [] for s in SECTIONS if s not in OPTIONAL_SECTIONS
    }
    content["entities"] = [{"id": "a", "x": 1.0, "idempotency_key": "k"}, {"id": "b", "x": 0.1}]
    content["propositions"] = [{"id": "p", "n": None}]
    hasher = Fingerprinter()
    for section in SECTIONS:
        for record in content.get(section, []):
            hasher.add(section, record)
    stripped = {
        s: [{k: v for k, v in r.items() if k != "idempotency_key"} for r in rs]
        for s, rs in content.items()
    }
    assert hasher.hexdigest() == hashlib.sha256(rfc8785.dumps(stripped)).hexdigest()
    with pytest.raises(ValueError):
        backwards = Fingerprinter()
        backwards.add("propositions", {"id": "p"})
        backwards.add("entities", {"id": "a"})


async def test_a_snapshot_as_of_an_earlier_time_leaves_later_changes_out(db: Database) -> None:
    actor = Actor(member_id="mem-a", name="A", function="product", role=Role.ADMIN)
    segment = {"id": "seg-1", "name": "Ops", "created_at": BASE, "created_by": "mem-a"}
    pain = {"id": "pain-1", "name": "Setup", "created_at": BASE, "created_by": "mem-a"}
    await db.write(entities.upsert_by_id, EntityKind.SEGMENT, segment)
    await db.write(entities.upsert_by_id, EntityKind.PAIN, pain)
    pid = await db.write(
        propositions.upsert,
        {
            "subject_id": "seg-1",
            "relation": "EXPERIENCES",
            "object_id": "pain-1",
            "created_at": BASE,
            "created_by": "mem-a",
        },
    )
    early = BASE + timedelta(days=10)
    late = BASE + timedelta(days=20)
    item = EvidenceCreate(
        source_type="interview",
        summary="setup took weeks",
        bears=[BearingCreate(proposition_id=pid, stance=Stance.SUPPORTS, strength=0.7)],
    )
    row = evidence.prepare_row(0, item, {pid: pid}, actor, early, None, evidence_id="ev-1")
    await db.write(evidence.write_rows, actor, [row], early)
    await db.write(evidence.retract, actor, "ev-1", "duplicate", late)
    for stated_at, p in ((early, 0.6), (late, 0.9)):
        await db.write(
            beliefs.append_given,
            actor,
            belief_id=f"bel-{p}",
            function="product",
            proposition_id=pid,
            p=p,
            magnitude=None,
            rationale=None,
            withdrawn=False,
            stated_at=stated_at,
        )
    await db.write(entities.retire, actor, "pain-1", "merged into onboarding", late)

    between = BASE + timedelta(days=15)
    records: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
    async for section, record in iter_content(db, between):
        records[section].append(record)
    assert [b["p"] for b in records["beliefs"]] == [0.6]
    [ev] = records["evidence"]
    assert ev["retracted_at"] is None and ev["bears"][0]["strength"] == 0.7
    assert all(e["retired_at"] is None for e in records["entities"])
    after: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
    async for section, record in iter_content(db, late):
        after[section].append(record)
    assert after["evidence"][0]["retracted_at"] == to_iso(late)
    assert {e["id"]: e["retired_reason"] for e in after["entities"]}["pain-1"] == (
        "merged into onboarding"
    )
    assert await live_fingerprint(db, between) != await live_fingerprint(db, late)
