"""Loading the demo company from ``seed_data/`` (idempotent: every row has a stable id)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from neo4j import AsyncManagedTransaction
from rich.progress import Progress

from graph import beliefs, decisions, entities, evidence, members, model_version, propositions
from graph.divergence.settings import EngineSettings
from graph.kit.connection import Database, fetch_one
from schema.decisions import DecisionCreate
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.vocabulary import EntityKind, Relation, Role, Stance

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"
BATCH = 200

COUNTS = """
MATCH (n) WHERE n:Entity OR n:Proposition OR n:Evidence OR n:Belief OR n:Member
RETURN sum(CASE WHEN n:Entity THEN 1 ELSE 0 END) AS entities,
       sum(CASE WHEN n:Proposition THEN 1 ELSE 0 END) AS propositions,
       sum(CASE WHEN n:Evidence THEN 1 ELSE 0 END) AS evidence,
       sum(CASE WHEN n:Belief THEN 1 ELSE 0 END) AS beliefs,
       sum(CASE WHEN n:Member THEN 1 ELSE 0 END) AS members
"""


def as_time(value: Any) -> datetime:
    """Seed files give ISO times or plain dates; both become aware UTC datetimes."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_seed(name: str, seed_dir: Path = SEED_DIR) -> dict[str, Any]:
    path = seed_dir / name
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def triple_id(triple: list[str]) -> str:
    subject, relation, obj = triple
    return propositions.proposition_id(subject, Relation(relation), obj)


# A demo load is marked started before its first write and complete after its last, so one
# cut short (Ctrl-C, a crash) is finished by the next `seed --if-empty` instead of being
# taken for a loaded model.
DEMO_RUN = "demo"
MARK_STARTED = """
MERGE (r:SeedRun {name: $name})
ON CREATE SET r.started_at = $now
SET r.completed_at = null
"""
MARK_COMPLETED = "MATCH (r:SeedRun {name: $name}) SET r.completed_at = $now"
UNFINISHED = "MATCH (r:SeedRun {name: $name}) WHERE r.completed_at IS NULL RETURN r.name AS name"

# How far a load is, for whoever shows it: (step, rows done, rows in the step), called when a
# step starts and after each batch. Drawing it is the caller's business (the CLI: bars on a
# terminal, lines in a log).
Report = Callable[[str, int, int], None]

# Later loaders (evidence, beliefs) register here so `seed` loads everything in order.
ExtraLoader = Callable[[Database, dict[str, Any], Report], Coroutine[Any, Any, None]]
EXTRA_LOADERS: list[ExtraLoader] = []


def _unreported(step: str, done: int, total: int) -> None:
    return None


def reporter(bar: Progress | Report | None) -> Report:
    """A ``Report`` from a rich ``Progress`` (a task per step), a ``Report``, or nothing."""
    if bar is None:
        return _unreported
    if not isinstance(bar, Progress):
        return bar
    tasks: dict[str, Any] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done)

    return report


async def load_demo(
    db: Database, *, on_progress: Report | None = None, scale: int = 0, seed_dir: Path = SEED_DIR
) -> dict[str, int]:
    report = reporter(on_progress)
    company = read_seed("company.yaml", seed_dir)
    now = datetime.now(UTC)
    await db.write(_mark, MARK_STARTED, now)
    people = company.get("members", [])
    report("members", 0, len(people))
    for done, person in enumerate(people, start=1):
        await db.write(
            members.upsert,
            person["id"],
            person["name"],
            person["function"],
            Role(person["role"]),
            now,
        )
        report("members", done, len(people))

    # Segments first: accounts link to them.
    rows = sorted(company.get("entities", []), key=lambda r: r["kind"] != EntityKind.SEGMENT.value)
    await _in_batches(db, report, "entities", rows, _entities)
    await _in_batches(db, report, "propositions", company.get("propositions", []), _propositions)
    actors = _actors(company)
    items = read_seed("evidence.yaml", seed_dir).get("evidence", [])
    await _in_batches(db, report, "evidence", items, _evidence_batch, actors)
    stated = read_seed("beliefs.yaml", seed_dir).get("beliefs", [])
    stated = sorted(stated, key=lambda b: as_time(b["stated_at"]))
    await _in_batches(db, report, "beliefs", stated, _belief_batch, actors)
    decided = read_seed("decisions.yaml", seed_dir).get("decisions", [])
    await _in_batches(db, report, "decisions", decided, _decision_batch, actors)
    for loader in EXTRA_LOADERS:
        await loader(db, {"seed_dir": seed_dir, "scale": scale}, report)
    if scale > 0:
        await load_synthetic(db, scale, company, report)
    await db.write(_mark, MARK_COMPLETED, datetime.now(UTC))
    # Written without the audit log: readers of the shared model start again.
    await db.write(model_version.bump, model_version.EVERYTHING)
    return await counts(db)


async def _mark(tx: AsyncManagedTransaction, query: str, now: datetime) -> None:
    await tx.run(query, name=DEMO_RUN, now=now)


async def unfinished(db: Database) -> bool:
    """Whether a demo load started and never completed (it was interrupted)."""
    return await db.read(fetch_one, UNFINISHED, name=DEMO_RUN) is not None


def _actors(company: dict[str, Any]) -> dict[str, Actor]:
    return {
        m["id"]: Actor(
            member_id=m["id"], name=m["name"], function=m["function"], role=Role(m["role"])
        )
        for m in company.get("members", [])
    }


async def _in_batches(
    db: Database,
    report: Report,
    label: str,
    rows: list[dict[str, Any]],
    write: Callable[..., Coroutine[Any, Any, None]],
    *args: Any,
) -> None:
    """Write ``rows`` BATCH at a time, a transaction each: ``write(tx, chunk, *args)``."""
    report(label, 0, len(rows))
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        await db.write(write, chunk, *args)
        report(label, start + len(chunk), len(rows))


async def _evidence_batch(
    tx: AsyncManagedTransaction, chunk: list[dict[str, Any]], actors: dict[str, Actor]
) -> None:
    # Seeded items are keyed by their stable id, so loading twice writes nothing new.
    for index, item in enumerate(chunk):
        actor = actors[item["recorded_by"]]
        data = EvidenceCreate(
            source_type=item["source_type"],
            summary=item["summary"],
            source_ref=item.get("source_ref"),
            observed_at=as_time(item["observed_at"]),
            account_id=item.get("account"),
            idempotency_key=f"seed:{item['id']}",
            bears=[
                BearingCreate(
                    proposition_id=triple_id(b["proposition"]),
                    stance=Stance(b["stance"]),
                    strength=b.get("strength", 1.0),
                    magnitude=b.get("magnitude"),
                )
                for b in item["bears"]
            ],
        )
        recorded_at = as_time(item.get("recorded_at") or item["observed_at"])
        row = evidence.prepare_row(
            index,
            data,
            {b.proposition_id: b.proposition_id for b in data.bears},
            actor,
            recorded_at,
            None,
            recorded_at=recorded_at,
            evidence_id=item["id"],
        )
        [(evidence_id, created)] = await evidence.write_rows(tx, actor, [row], recorded_at)
        retraction = item.get("retracted")
        if created and retraction:
            by = actors[retraction["by"]]
            await tx.run(
                evidence.RETRACT,
                id=evidence_id,
                now=as_time(retraction["at"]),
                reason=retraction["reason"],
                actor_id=by.member_id,
            )


async def _belief_batch(
    tx: AsyncManagedTransaction, chunk: list[dict[str, Any]], actors: dict[str, Actor]
) -> None:
    for row in chunk:
        proposition_id = triple_id(row["proposition"])
        stated_at = as_time(row["stated_at"])
        # A stable id from the row's identity, so loading twice appends nothing.
        belief_id = (
            "bel-seed-"
            + hashlib.sha256(
                f"{row['function']}|{proposition_id}|{stated_at.isoformat()}".encode()
            ).hexdigest()[:16]
        )
        await beliefs.append_given(
            tx,
            actors[row["member"]],
            belief_id=belief_id,
            function=row["function"],
            proposition_id=proposition_id,
            p=None if row.get("withdrawn") else float(row["p"]),
            magnitude=None if row.get("withdrawn") else row.get("magnitude"),
            rationale=row.get("rationale"),
            withdrawn=bool(row.get("withdrawn")),
            stated_at=stated_at,
        )


async def _decision_batch(
    tx: AsyncManagedTransaction, rows: list[dict[str, Any]], actors: dict[str, Actor]
) -> None:
    """Decisions with their ids and times, each weighed as of when it was made."""
    for row in rows:
        create = DecisionCreate(
            title=row["title"],
            rationale=row.get("rationale"),
            proposition_ids=[triple_id(t) for t in row["rests_on"]],
        )
        await decisions.record_given(
            tx,
            EngineSettings(),
            row["id"],
            create,
            as_time(row["decided_at"]),
            actors[row["decided_by"]],
        )


async def _entities(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        kind = EntityKind(row["kind"])
        await entities.upsert_by_id(
            tx,
            kind,
            {
                **row,
                "segment_id": row.get("segment"),
                "created_at": as_time(row.get("created_at", "2025-09-01")),
                "created_by": row.get("created_by", "system"),
            },
        )


async def _propositions(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        await propositions.upsert(
            tx,
            {
                "subject_id": row["subject"],
                "relation": row["relation"],
                "object_id": row["object"],
                "created_at": as_time(row.get("created_at", "2025-09-01")),
                "created_by": row.get("created_by", "system"),
            },
        )


async def counts(db: Database) -> dict[str, int]:
    row = await db.read(fetch_one, COUNTS)
    assert row is not None
    return {k: int(v) for k, v in row.items()}


# ---------------------------------------------------------------- synthetic evidence (--scale)

SYNTHETIC_BATCH = 1000
SYNTHETIC_SOURCES = ("support_ticket", "interview", "survey", "sales_call", "usage", "review")
SYNTHETIC_START = datetime(2025, 9, 1, tzinfo=UTC)


def synthetic_item(
    n: int, proposition_ids: list[str], account_ids: list[str]
) -> tuple[EvidenceCreate, datetime]:
    """The n-th synthetic evidence item: a pure function of n, so re-seeding adds nothing."""
    observed = SYNTHETIC_START + timedelta(days=(n * 37) % 440, minutes=n % 1440)
    account = None if n % 5 == 0 or not account_ids else account_ids[(n * 7) % len(account_ids)]
    return (
        EvidenceCreate(
            source_type=SYNTHETIC_SOURCES[n % len(SYNTHETIC_SOURCES)],
            summary=f"Synthetic observation {n} (benchmark data, not a real customer)",
            source_ref=f"synthetic:{n}",
            observed_at=observed,
            account_id=account,
            idempotency_key=f"seed-scale:{n}",
            bears=[
                BearingCreate(
                    proposition_id=proposition_ids[(n * 13) % len(proposition_ids)],
                    stance=Stance.CONTRADICTS if n % 3 == 0 else Stance.SUPPORTS,
                    strength=0.3 + (n % 7) / 10,
                    magnitude=None if n % 4 else 1 + n % 5,
                )
            ],
        ),
        observed,
    )


async def load_synthetic(
    db: Database, scale: int, company: dict[str, Any], bar: Progress | Report | None = None
) -> None:
    """Add ``scale`` synthetic evidence items over the demo's propositions and accounts."""
    report = reporter(bar)
    proposition_ids = sorted(
        propositions.proposition_id(p["subject"], Relation(p["relation"]), p["object"])
        for p in company.get("propositions", [])
    )
    account_ids = sorted(
        e["id"] for e in company.get("entities", []) if e["kind"] == EntityKind.ACCOUNT.value
    )
    recorders = [a for a in _actors(company).values() if a.role is not Role.VIEWER]
    if not proposition_ids or not recorders:
        return
    report("synthetic evidence", 0, scale)
    for start in range(0, scale, SYNTHETIC_BATCH):
        numbers = range(start, min(start + SYNTHETIC_BATCH, scale))
        await db.write(_synthetic_batch, list(numbers), proposition_ids, account_ids, recorders)
        report("synthetic evidence", numbers.stop, scale)


async def _synthetic_batch(
    tx: AsyncManagedTransaction,
    numbers: list[int],
    proposition_ids: list[str],
    account_ids: list[str],
    recorders: list[Actor],
) -> None:
    # One UNWIND per batch (evidence.write_rows), keyed by idempotency key.
    actor = recorders[numbers[0] % len(recorders)]
    rows = []
    for index, n in enumerate(numbers):
        item, observed = synthetic_item(n, proposition_ids, account_ids)
        ids = {b.proposition_id: b.proposition_id for b in item.bears}
        rows.append(
            evidence.prepare_row(
                index,
                item,
                ids,
                actor,
                observed,
                None,
                recorded_at=observed,
                evidence_id=f"ev-syn-{n:07d}",
            )
        )
    await evidence.write_rows(tx, actor, rows, datetime.now(UTC))
