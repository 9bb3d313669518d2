"""A deterministic synthetic company at three sizes, written in the product's storage shape.

Sizes (issue 7): S = 1k propositions and 10k evidence, M = 10k and 100k, L = 10k and 1M,
with beliefs from the seven default functions. Each segment is a small world of its own —
20 accounts, goals, pains, alternatives, features, claims and exactly 100 propositions in
its scope — so S is segments 0-9 of M, and L is M with ten times the evidence per segment.
Generation is therefore incremental: S → M adds segments, M → L adds evidence, and the same
seed always writes the same ids, text, times and numbers.

Rows go in with batched ``UNWIND`` in the shape ``schema/README.md`` describes (evidence
through the product's own ``CREATE_EVIDENCE``); a ``BenchmarkDataset`` node records what is
there. Run: ``python -m bench.generate --size S --data-dir /tmp/cg-bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from neo4j import AsyncManagedTransaction

from graph import members, startup
from graph.evidence import CREATE_EVIDENCE
from graph.kit.connection import Database, Timeouts, fetch_one, resolve_target
from graph.propositions import proposition_id
from schema.vocabulary import DEFAULT_FUNCTIONS, MAGNITUDE_MEANING, Relation, Role

SEED = 7
PROPOSITIONS_PER_SEGMENT = 100
ACCOUNTS_PER_SEGMENT = 20
KIND_COUNTS = {"GOAL": 10, "PAIN": 14, "ALTERNATIVE": 6, "FEATURE": 6, "CLAIM": 4}
BELIEF_SHARE = 0.55  # each function states a belief on about this share of propositions
SECOND_STATEMENT_SHARE = 0.1  # ... and revises about this share once
TWO_BEARINGS_SHARE = 0.2
ACCOUNT_SHARE = 0.75
EVIDENCE_BATCH = 2000
ROW_BATCH = 5000

CREATED_AT = datetime(2025, 1, 1, tzinfo=UTC)
OBSERVED_FROM = datetime(2024, 6, 1, tzinfo=UTC)
OBSERVED_DAYS = 700
BELIEFS_FROM = datetime(2025, 6, 1, tzinfo=UTC)
BELIEF_DAYS = 300
GENERATED_UNTIL = OBSERVED_FROM + timedelta(days=OBSERVED_DAYS + 5)

SOURCE_TYPE_WEIGHTS = {
    "interview": 3,
    "support_ticket": 6,
    "sales_call": 4,
    "win_loss": 1,
    "survey": 3,
    "analytics": 2,
    "review": 2,
    "usage": 2,
    "other": 1,
}
WORDS = (
    "report dashboard export onboarding latency trust customise schedule alert share "
    "spreadsheet integration pricing seat admin audit filter chart refresh slow manual "
    "accurate board weekly client agency pipeline forecast churn renewal setup template"
).split()


@dataclass(frozen=True)
class Size:
    name: str
    segments: int
    evidence_per_segment: int

    @property
    def propositions(self) -> int:
        return self.segments * PROPOSITIONS_PER_SEGMENT

    @property
    def evidence(self) -> int:
        return self.segments * self.evidence_per_segment


SIZES = {
    "S": Size("S", 10, 1_000),
    "M": Size("M", 100, 1_000),
    "L": Size("L", 100, 10_000),
}

DATASET = """
MATCH (d:BenchmarkDataset {key: 'bench'})
RETURN d.segments AS segments, d.evidence_per_segment AS evidence_per_segment, d.seed AS seed
"""
RECORD_DATASET = """
MERGE (d:BenchmarkDataset {key: 'bench'})
SET d.segments = $segments, d.evidence_per_segment = $evidence_per_segment, d.seed = $seed
"""
NON_EMPTY = "MATCH (n) WHERE n:Entity OR n:Evidence RETURN count(n) > 0 AS found"

ENTITY_PROPS = """
SET e = row.props
"""
CREATE_ENTITIES = {
    "SEGMENT": "UNWIND $rows AS row CREATE (e:Entity:Segment)" + ENTITY_PROPS,
    "GOAL": "UNWIND $rows AS row CREATE (e:Entity:Goal)" + ENTITY_PROPS,
    "PAIN": "UNWIND $rows AS row CREATE (e:Entity:Pain)" + ENTITY_PROPS,
    "ALTERNATIVE": "UNWIND $rows AS row CREATE (e:Entity:Alternative)" + ENTITY_PROPS,
    "FEATURE": "UNWIND $rows AS row CREATE (e:Entity:Feature)" + ENTITY_PROPS,
    "CLAIM": "UNWIND $rows AS row CREATE (e:Entity:Claim)" + ENTITY_PROPS,
    "ACCOUNT": """
UNWIND $rows AS row
MATCH (s:Segment {id: row.segment_id})
CREATE (e:Entity:Account)
SET e = row.props
CREATE (e)-[:IN_SEGMENT]->(s)
""",
}

CREATE_PROPOSITIONS = """
UNWIND $rows AS row
MATCH (s:Entity {id: row.subject_id}), (o:Entity {id: row.object_id})
CREATE (p:Proposition)
SET p = row
CREATE (p)-[:SUBJECT]->(s)
CREATE (p)-[:OBJECT]->(o)
"""
# The direct typed edge each live proposition has (graph/kit/vocabulary.py).
_DIRECT = """
UNWIND $rows AS row
MATCH (s:Entity {id: row.subject_id}), (o:Entity {id: row.object_id})
"""
LINK_DIRECT = {
    Relation.PURSUES: _DIRECT + "CREATE (s)-[:PURSUES {proposition_id: row.id}]->(o)",
    Relation.EXPERIENCES: _DIRECT + "CREATE (s)-[:EXPERIENCES {proposition_id: row.id}]->(o)",
    Relation.HINDERS: _DIRECT + "CREATE (s)-[:HINDERS {proposition_id: row.id}]->(o)",
    Relation.USES: _DIRECT + "CREATE (s)-[:USES {proposition_id: row.id}]->(o)",
    Relation.RELIEVES: _DIRECT + "CREATE (s)-[:RELIEVES {proposition_id: row.id}]->(o)",
    Relation.ENABLES: _DIRECT + "CREATE (s)-[:ENABLES {proposition_id: row.id}]->(o)",
    Relation.PROMISES: _DIRECT + "CREATE (s)-[:PROMISES {proposition_id: row.id}]->(o)",
    Relation.BACKED_BY: _DIRECT + "CREATE (s)-[:BACKED_BY {proposition_id: row.id}]->(o)",
    Relation.TARGETS: _DIRECT + "CREATE (s)-[:TARGETS {proposition_id: row.id}]->(o)",
    Relation.BEATS: _DIRECT + "CREATE (s)-[:BEATS {proposition_id: row.id}]->(o)",
}

CREATE_BELIEFS = """
UNWIND $rows AS row
MATCH (p:Proposition {id: row.proposition_id})
MATCH (f:Function {name: row.function})
CREATE (b:Belief)
SET b = row
CREATE (b)-[:ON]->(p)
CREATE (b)-[:OF_FUNCTION]->(f)
"""
CREATE_SERIES = "UNWIND $rows AS row CREATE (s:BeliefSeries) SET s = row"


def member_id(function: str) -> str:
    return f"mem-bench-{function}"


def segment_id(k: int) -> str:
    return f"seg-b{k:03d}"


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in (SEED, *parts)))


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


@dataclass(frozen=True)
class SegmentWorld:
    """One segment's entities and its 100 propositions (ids, relations, endpoints)."""

    k: int
    entities: dict[str, list[dict[str, Any]]]  # kind -> rows
    propositions: list[dict[str, Any]]
    truth: dict[str, float]  # proposition id -> the chance evidence supports it
    accounts: list[str]


def segment_world(k: int) -> SegmentWorld:
    rng = _rng("segment", k)
    seg = segment_id(k)
    entities: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CREATE_ENTITIES}

    def entity(kind: str, entity_id: str, name: str, **extra: Any) -> str:
        props = {
            "id": entity_id,
            "kind": kind,
            "name": name,
            "description": _words(rng, 6, 12),
            "created_at": CREATED_AT,
            "created_by": "system",
            **extra,
        }
        row = {"props": props}
        if kind == "ACCOUNT":
            row["segment_id"] = seg
        entities[kind].append(row)
        return entity_id

    entity("SEGMENT", seg, f"Segment {k}")
    accounts = [
        entity("ACCOUNT", f"acct-b{k:03d}-{i:02d}", f"Account {k}.{i}")
        for i in range(ACCOUNTS_PER_SEGMENT)
    ]
    ids: dict[str, list[str]] = {}
    for kind, count in KIND_COUNTS.items():
        prefix = {"GOAL": "goal", "PAIN": "pain", "ALTERNATIVE": "alt", "FEATURE": "feat"}.get(
            kind, "claim"
        )
        extra: dict[str, Any] = {}
        ids[kind] = []
        for i in range(count):
            if kind == "FEATURE":
                extra = {"status": rng.choice(["idea", "planned", "building", "shipped"])}
            elif kind == "CLAIM":
                extra = {"status": "live", "channel": rng.choice(["website", "deck"])}
            elif kind == "ALTERNATIVE":
                extra = {"alt_kind": rng.choice(["competitor", "workaround", "status_quo"])}
            name = f"{kind.title()} {k}.{i}: {_words(rng, 2, 4)}"
            ids[kind].append(entity(kind, f"{prefix}-b{k:03d}-{i:02d}", name, **extra))

    goals, pains, alts = ids["GOAL"], ids["PAIN"], ids["ALTERNATIVE"]
    features, claims = ids["FEATURE"], ids["CLAIM"]
    triples: list[tuple[str, Relation, str]] = []
    triples += [(seg, Relation.PURSUES, g) for g in goals]
    triples += [(seg, Relation.EXPERIENCES, p) for p in pains]
    triples += [(seg, Relation.USES, a) for a in alts]
    triples += [(c, Relation.TARGETS, seg) for c in claims]
    # Every other relation touches this segment's goals, pains or alternatives, so the
    # segment's scope is exactly its 100 propositions.
    candidates = (
        [(p, Relation.HINDERS, g) for p in pains for g in goals]
        + [(f, Relation.RELIEVES, p) for f in features + alts for p in pains]
        + [(f, Relation.ENABLES, g) for f in features + alts for g in goals]
        + [(c, Relation.PROMISES, x) for c in claims for x in goals + pains]
        + [(c, Relation.BACKED_BY, f) for c in claims for f in features]
        + [(x, Relation.BEATS, a) for x in claims + features for a in alts]
    )
    triples += rng.sample(candidates, PROPOSITIONS_PER_SEGMENT - len(triples))
    propositions = [
        {
            "id": proposition_id(s, r, o),
            "relation": r.value,
            "subject_id": s,
            "object_id": o,
            "created_at": CREATED_AT + timedelta(days=1),
            "created_by": "system",
        }
        for s, r, o in triples
    ]
    truth = {p["id"]: rng.betavariate(2, 2) for p in propositions}
    return SegmentWorld(k, entities, propositions, truth, accounts)


def function_bias() -> dict[str, float]:
    rng = _rng("bias")
    return {f: rng.uniform(-0.25, 0.25) for f in DEFAULT_FUNCTIONS}


def beliefs_of(world: SegmentWorld) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Belief statements and their series counters for one segment."""
    rng = _rng("beliefs", world.k)
    bias = function_bias()
    rows: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    for prop in world.propositions:
        meaningful = MAGNITUDE_MEANING[Relation(prop["relation"])] is not None
        for function in DEFAULT_FUNCTIONS:
            if rng.random() >= BELIEF_SHARE:
                continue
            statements = 2 if rng.random() < SECOND_STATEMENT_SHARE else 1
            at = BELIEFS_FROM + timedelta(seconds=rng.randrange(BELIEF_DAYS * 43_200))
            for seq in range(1, statements + 1):
                p = world.truth[prop["id"]] + bias[function] + rng.gauss(0.0, 0.15)
                rows.append(
                    {
                        "id": f"bel-b-{prop['id'][5:17]}-{function[:4]}-{seq}",
                        "function": function,
                        "proposition_id": prop["id"],
                        "seq": seq,
                        "p": round(min(0.98, max(0.02, p)), 2),
                        "magnitude": rng.randint(1, 5) if meaningful else None,
                        "rationale": _words(rng, 4, 10) if rng.random() < 0.5 else None,
                        "withdrawn": False,
                        "stated_at": at,
                        "stated_by": member_id(function),
                    }
                )
                at += timedelta(days=rng.randint(5, 60))
            series.append(
                {
                    "key": f"{function}|{prop['id']}",
                    "seq": statements,
                    "function": function,
                    "proposition_id": prop["id"],
                }
            )
    return rows, series


def evidence_rows(world: SegmentWorld, start: int, stop: int) -> Iterator[dict[str, Any]]:
    """Evidence items ``start``..``stop - 1`` of a segment, as ``CREATE_EVIDENCE`` rows.

    Items are drawn in sequence from one generator per segment, so item j is the same
    whatever the size asked for; propositions are picked with Zipf-like weights (a few
    carry much of the evidence, as in real research).
    """
    rng = _rng("evidence", world.k)
    props = world.propositions
    cumulative = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(props))))
    total_weight = cumulative[-1]
    source_types = list(SOURCE_TYPE_WEIGHTS)
    source_cumulative = list(itertools.accumulate(SOURCE_TYPE_WEIGHTS.values()))
    functions = list(DEFAULT_FUNCTIONS)

    def pick() -> dict[str, Any]:
        return props[bisect.bisect_left(cumulative, rng.random() * total_weight)]

    for j in range(stop):
        first = pick()
        chosen = [first]
        if rng.random() < TWO_BEARINGS_SHARE:
            second = pick()
            if second["id"] != first["id"]:
                chosen.append(second)
        source_type = source_types[
            bisect.bisect_left(source_cumulative, rng.random() * source_cumulative[-1])
        ]
        bears = [
            {
                "proposition_id": p["id"],
                "stance": "SUPPORTS" if rng.random() < world.truth[p["id"]] else "CONTRADICTS",
                "strength": rng.choice((0.4, 0.7, 1.0)),
                "magnitude": rng.randint(1, 5) if source_type == "survey" else None,
            }
            for p in chosen
        ]
        account = rng.choice(world.accounts) if rng.random() < ACCOUNT_SHARE else None
        observed = OBSERVED_FROM + timedelta(seconds=rng.randrange(OBSERVED_DAYS * 86_400))
        recorded = observed + timedelta(seconds=rng.randrange(3 * 86_400))
        function = rng.choice(functions)
        summary = f"{source_type.replace('_', ' ')}: {_words(rng, 8, 14)}"
        if j < start:
            continue
        yield {
            "index": j,
            "observed_at": observed.isoformat(),
            "recorded_at": recorded.isoformat(),
            "props": {
                "id": f"ev-b{world.k:03d}-{j:06d}",
                "source_type": source_type,
                "summary": summary,
                "source_ref": f"ref-{world.k}-{j}",
                "recorded_by": member_id(function),
                "function": function,
                "account_id": account,
                "idempotency_key": None,
                "import_id": None,
            },
            "bears": bears,
        }


async def _run_rows(tx: AsyncManagedTransaction, query: str, rows: list[dict[str, Any]]) -> None:
    result = await tx.run(query, rows=rows)
    await result.consume()


async def _write_batched(db: Database, query: str, rows: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(rows), batch):
        await db.write(_run_rows, query, rows[start : start + batch])


async def write_structure(db: Database, worlds: list[SegmentWorld]) -> None:
    """Entities, propositions (with their direct edges), beliefs and belief series."""
    for kind in CREATE_ENTITIES:  # segments first: accounts link to them
        rows = [row for w in worlds for row in w.entities[kind]]
        await _write_batched(db, CREATE_ENTITIES[kind], rows, ROW_BATCH)
    props = [p for w in worlds for p in w.propositions]
    await _write_batched(db, CREATE_PROPOSITIONS, props, ROW_BATCH)
    for relation, query in LINK_DIRECT.items():
        await _write_batched(db, query, [p for p in props if p["relation"] == relation], ROW_BATCH)
    beliefs: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    for w in worlds:
        rows, counters = beliefs_of(w)
        beliefs += rows
        series += counters
    await _write_batched(db, CREATE_BELIEFS, beliefs, ROW_BATCH)
    await _write_batched(db, CREATE_SERIES, series, ROW_BATCH)


async def write_evidence(db: Database, jobs: list[tuple[SegmentWorld, int, int]]) -> int:
    """Write evidence items per (world, start, stop); return how many."""
    written = 0
    batch: list[dict[str, Any]] = []
    for world, start, stop in jobs:
        for row in evidence_rows(world, start, stop):
            batch.append(row)
            if len(batch) >= EVIDENCE_BATCH:
                await db.write(_run_rows, CREATE_EVIDENCE, batch)
                written += len(batch)
                batch = []
    if batch:
        await db.write(_run_rows, CREATE_EVIDENCE, batch)
        written += len(batch)
    return written


async def ensure_members(db: Database) -> None:
    now = datetime.now(UTC)
    for function in DEFAULT_FUNCTIONS:
        await db.write(
            members.upsert, member_id(function), f"Bench {function}", function, Role.ADMIN, now
        )


async def current_size(db: Database) -> tuple[int, int]:
    """(segments, evidence per segment) already generated; (0, 0) on an empty database."""
    row = await db.read(fetch_one, DATASET)
    if row is None:
        found = await db.read(fetch_one, NON_EMPTY)
        if found and found["found"]:
            raise SystemExit("the database holds data the generator did not write; use a new one")
        return 0, 0
    if row["seed"] != SEED:
        raise SystemExit(f"the database was generated with seed {row['seed']}, not {SEED}")
    return int(row["segments"]), int(row["evidence_per_segment"])


async def generate(db: Database, size: Size) -> dict[str, Any]:
    """Grow the database to ``size`` (never shrinks it); return what was written and how fast."""
    await startup.apply_schema(db)
    await ensure_members(db)
    have_segments, have_per_segment = await current_size(db)
    if have_segments > size.segments or have_per_segment > size.evidence_per_segment:
        raise SystemExit(
            f"the database already holds {have_segments} segments × {have_per_segment} "
            f"evidence, more than size {size.name}; use a new database"
        )
    started = time.perf_counter()
    new_worlds = [segment_world(k) for k in range(have_segments, size.segments)]
    await write_structure(db, new_worlds)
    structure_s = time.perf_counter() - started
    jobs = (
        [
            (segment_world(k), have_per_segment, size.evidence_per_segment)
            for k in range(have_segments)
        ]
        if have_per_segment < size.evidence_per_segment
        else []
    )
    jobs += [(w, 0, size.evidence_per_segment) for w in new_worlds]
    started = time.perf_counter()
    written = await write_evidence(db, jobs)
    evidence_s = time.perf_counter() - started
    await db.write(_record_dataset, size.segments, size.evidence_per_segment)
    return {
        "size": size.name,
        "new_segments": len(new_worlds),
        "structure_s": round(structure_s, 2),
        "evidence_written": written,
        "evidence_s": round(evidence_s, 2),
        "evidence_per_s": round(written / evidence_s) if evidence_s > 0 and written else None,
    }


async def _record_dataset(tx: AsyncManagedTransaction, segments: int, per_segment: int) -> None:
    await tx.run(RECORD_DATASET, segments=segments, evidence_per_segment=per_segment, seed=SEED)


def connect(data_dir: Path) -> Database:
    """The local benchmark database recorded in ``data_dir``."""
    target = resolve_target(
        uri=None, user="neo4j", password=None, database="neo4j", data_dir=data_dir
    )
    return Database.connect(target, Timeouts(transaction_s=600.0, retry_s=30.0))


async def _main(size: str, data_dir: Path) -> None:
    db = connect(data_dir)
    try:
        print(await generate(db, SIZES[size]))
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(_main(args.size, args.data_dir))
