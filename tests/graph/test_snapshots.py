"""Snapshots freeze the model; restoring one into an empty database reproduces its fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from neo4j import AsyncManagedTransaction

from graph import beliefs, entities, evidence, propositions, seeding
from graph.kit import migrations
from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from graph.snapshots.content import Fingerprinter, fingerprint_of, iter_content, to_iso
from graph.snapshots.restore import SnapshotFile, restore
from schema.errors import BadInput, Conflict
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.snapshot import SECTIONS
from schema.vocabulary import DEFAULT_FUNCTIONS, EntityKind, Relation, Role, Stance
from tests.conftest import wipe

BASE = datetime(2026, 1, 1, tzinfo=UTC)
SNAPSHOT_SCHEMA = orjson.loads(
    (Path(__file__).resolve().parents[2] / "schema" / "snapshot.schema.json").read_bytes()
)


async def no_figures(db: Database, as_of: datetime) -> dict[str, Any]:
    return {"alignment": {"alpha": None, "units": 0}}


async def live_fingerprint(db: Database, as_of: datetime) -> str:
    hasher = Fingerprinter()
    async for section, record in iter_content(db, as_of):
        hasher.add(section, record)
    return hasher.hexdigest()


async def export_to(db: Database, snapshot_id: str, path: Path, *, quotes: bool = True) -> Path:
    with path.open("wb") as handle:
        async for piece in snapshots.iter_json(db, snapshot_id, quotes=quotes):
            handle.write(piece)
    return path


def test_fingerprinter_equals_hashing_the_whole_canonical_json() -> None:
    import hashlib

    content: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
    content["entities"] = [{"id": "a", "x": 1.0, "idempotency_key": "k"}, {"id": "b", "x": 0.1}]
    content["propositions"] = [{"id": "p", "n": None}]
    hasher = Fingerprinter()
    for section in SECTIONS:
        for record in content[section]:
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


async def test_demo_company_round_trips_through_a_snapshot_file(
    db: Database, tmp_path: Path
) -> None:
    await seeding.load_demo(db)
    admin = Actor(member_id="mem-raj", name="Raj", function="engineering", role=Role.ADMIN)
    now = datetime.now(UTC)
    await db.write(evidence.redact, admin, "ev-0001", "personal data", now)
    info, created = await snapshots.create(db, admin, no_figures, label="Q4 planning")
    assert created and info.label == "Q4 planning"
    assert info.counts == {
        "beliefs": 340,
        "entities": 59,
        "evidence": 316,
        "functions": 7,
        "imports": 0,
        "propositions": 88,
    }
    assert info.fingerprint == await live_fingerprint(db, info.as_of)

    path = await export_to(db, info.id, tmp_path / "q4.json")
    document = orjson.loads(path.read_bytes())  # the streamed layout is plain JSON
    jsonschema.validate(document, SNAPSHOT_SCHEMA)
    assert document["snapshot"]["fingerprint"] == info.fingerprint
    redacted = next(e for e in document["content"]["evidence"] if e["id"] == "ev-0001")
    assert redacted["summary"] is None and redacted["redact_reason"] == "personal data"

    # An empty database takes it; the fingerprint of the restored model is the same.
    await wipe(db)
    written = await restore(db, SnapshotFile(path))
    assert written["evidence"] == 316 and written["beliefs"] == 340
    assert await live_fingerprint(db, info.as_of) == info.fingerprint
    assert (await export_to(db, info.id, tmp_path / "again.json")).read_bytes() == (
        path.read_bytes()
    )
    again, _ = await snapshots.create(db, admin, no_figures, as_of=info.as_of)
    assert again.fingerprint == info.fingerprint and again.id != info.id

    # Now the database is not empty: restore refuses unless forced, and forcing adds nothing.
    with pytest.raises(Conflict, match="already holds 59 entities"):
        await restore(db, SnapshotFile(path))
    forced = await restore(db, SnapshotFile(path), force=True)
    assert forced["evidence"] == 0 and forced["beliefs"] == 0 and forced["entities"] == 0


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


async def test_restore_refuses_changed_files_other_versions_and_exports_without_quotes(
    db: Database, tmp_path: Path
) -> None:
    await db.write(
        entities.upsert_by_id,
        EntityKind.GOAL,
        {"id": "goal-1", "name": "Close the books", "created_at": BASE, "created_by": "m"},
    )
    info, _ = await snapshots.create(db, Actor.system(), no_figures)
    path = await export_to(db, info.id, tmp_path / "s.json")
    text = path.read_text()

    tampered = tmp_path / "tampered.json"
    tampered.write_text(text.replace("Close the books", "Open the books"))
    with pytest.raises(BadInput, match="fingerprint mismatch"):
        SnapshotFile(tampered).check()

    other_version = tmp_path / "v2.json"
    other_version.write_text(text.replace('"schema_version":1', '"schema_version":2', 1))
    with pytest.raises(BadInput, match="schema version 2"):
        SnapshotFile(other_version)

    quoteless = await export_to(db, info.id, tmp_path / "public.json", quotes=False)
    public = orjson.loads(quoteless.read_bytes())
    jsonschema.validate(public, SNAPSHOT_SCHEMA)
    assert public["quotes"] is False and "Close the books" in quoteless.read_text()
    with pytest.raises(BadInput, match="without evidence quotes"):
        SnapshotFile(quoteless).check()

    # A consistent file (fingerprint recomputed) with a record restore cannot write is
    # refused before anything is written.
    crafted = orjson.loads(path.read_bytes())
    crafted["content"]["entities"][0]["kind"] = "PLANET"
    crafted["snapshot"]["fingerprint"] = fingerprint_of(
        (section, record) for section in SECTIONS for record in crafted["content"][section]
    )
    planet = tmp_path / "planet.json"
    planet.write_bytes(orjson.dumps(crafted))
    await wipe(db)
    with pytest.raises(BadInput, match="entities record 'goal-1' is malformed"):
        await restore(db, SnapshotFile(planet))
    assert await migrations.entity_count(db) == 0

    # A file reformatted by another tool (one line, different layout) still restores.
    reformatted = tmp_path / "pretty.json"
    reformatted.write_bytes(
        orjson.dumps(orjson.loads(path.read_bytes()), option=orjson.OPT_INDENT_2)
    )
    await wipe(db)
    await restore(db, SnapshotFile(reformatted))
    assert await live_fingerprint(db, info.as_of) == info.fingerprint
    # The restored database holds the snapshot itself too, and exports the same bytes.
    restored = await snapshots.get(db, info.id)
    assert (restored.label, restored.fingerprint) == (info.label, info.fingerprint)
    again = await export_to(db, info.id, tmp_path / "again.json")
    assert again.read_bytes() == path.read_bytes()


async def test_the_same_idempotency_key_returns_the_first_snapshot(db: Database) -> None:
    first, created = await snapshots.create(
        db, Actor.system(), no_figures, label="a", idempotency_key="k-1"
    )
    again, created_again = await snapshots.create(
        db, Actor.system(), no_figures, label="b", idempotency_key="k-1"
    )
    assert created and not created_again
    assert again.id == first.id and again.label == "a"
    with pytest.raises(BadInput, match="future"):
        await snapshots.create(
            db, Actor.system(), no_figures, as_of=datetime.now(UTC) + timedelta(days=1)
        )


# ---------------------------------------------------------------- hypothesis

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() != "")
offsets = st.integers(min_value=0, max_value=200 * 86400 * 10**6)  # microseconds after BASE
times = offsets.map(lambda us: BASE + timedelta(microseconds=us))


@st.composite
def small_models(draw: st.DrawFn) -> dict[str, Any]:
    def at() -> datetime:
        return BASE + timedelta(microseconds=draw(offsets))

    segments = [f"seg-{n}" for n in range(draw(st.integers(1, 2)))]
    pains = [f"pain-{n}" for n in range(draw(st.integers(1, 2)))]
    goals = [f"goal-{n}" for n in range(draw(st.integers(0, 2)))]
    accounts = [
        (f"acct-{n}", draw(st.sampled_from(segments))) for n in range(draw(st.integers(0, 2)))
    ]
    triples = (
        [(s, Relation.EXPERIENCES, p) for s in segments for p in pains]
        + [(s, Relation.PURSUES, g) for s in segments for g in goals]
        + [(p, Relation.HINDERS, g) for p in pains for g in goals]
    )
    chosen = draw(st.lists(st.sampled_from(triples), min_size=1, max_size=4, unique=True))
    props = [propositions.proposition_id(s, r, o) for s, r, o in chosen]
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "summary": texts,
                    "source_type": st.sampled_from(["interview", "survey", "support_ticket"]),
                    "observed": times,
                    "recorded": times,
                    "account": st.none() | st.sampled_from([a for a, _ in accounts] or [None]),
                    "bears": st.lists(
                        st.tuples(
                            st.sampled_from(props),
                            st.sampled_from(list(Stance)),
                            st.floats(min_value=0.0, max_value=1.0, exclude_min=True),
                            st.none() | st.integers(1, 5),
                        ),
                        min_size=1,
                        max_size=2,
                        unique_by=lambda b: b[0],
                    ),
                    "retract": st.booleans(),
                    "redact": st.booleans(),
                }
            ),
            max_size=5,
        )
    )
    stated = draw(
        st.lists(
            st.tuples(
                st.sampled_from(DEFAULT_FUNCTIONS[:3]),
                st.sampled_from(props),
                st.floats(min_value=0.0, max_value=1.0),
                st.none() | st.integers(1, 5),
                st.booleans(),  # a withdrawal
            ),
            max_size=6,
        )
    )
    return {
        "segments": segments,
        "pains": pains,
        "goals": goals,
        "accounts": accounts,
        "triples": chosen,
        "items": items,
        "beliefs": [(at(), *b) for b in stated],
        "retire": draw(st.booleans()),
        "cut": at(),
        "names": [draw(texts) for _ in range(8)],
    }


async def _write_model(tx: AsyncManagedTransaction, model: dict[str, Any]) -> None:
    actor = Actor(member_id="mem-h", name="H", function="product", role=Role.ADMIN)
    names = iter(model["names"] * 4)
    for kind, ids in (
        (EntityKind.SEGMENT, model["segments"]),
        (EntityKind.PAIN, model["pains"]),
        (EntityKind.GOAL, model["goals"]),
    ):
        for entity_id in ids:
            row = {"id": entity_id, "name": next(names), "created_at": BASE, "created_by": "m"}
            await entities.upsert_by_id(tx, kind, row)
    for account_id, segment_id in model["accounts"]:
        row = {
            "id": account_id,
            "name": next(names),
            "segment_id": segment_id,
            "created_at": BASE,
            "created_by": "m",
        }
        await entities.upsert_by_id(tx, EntityKind.ACCOUNT, row)
    for subject, relation, obj in model["triples"]:
        await propositions.upsert(
            tx,
            {
                "subject_id": subject,
                "relation": relation.value,
                "object_id": obj,
                "created_at": BASE,
                "created_by": "m",
            },
        )
    for n, item in enumerate(model["items"]):
        data = EvidenceCreate(
            source_type=item["source_type"],
            summary=item["summary"],
            observed_at=item["observed"],
            account_id=item["account"],
            bears=[
                BearingCreate(proposition_id=p, stance=s, strength=w, magnitude=m)
                for p, s, w, m in item["bears"]
            ],
        )
        ids = {b.proposition_id: b.proposition_id for b in data.bears}
        row = evidence.prepare_row(
            0, data, ids, actor, item["recorded"], None, evidence_id=f"ev-{n}"
        )
        await evidence.write_rows(tx, actor, [row], item["recorded"])
        later = item["recorded"] + timedelta(days=3)
        if item["retract"]:
            await tx.run(evidence.RETRACT, id=f"ev-{n}", now=later, reason="dup", actor_id="m")
        if item["redact"]:
            await tx.run(evidence.REDACT, id=f"ev-{n}", now=later, reason="pii", actor_id="m")
    held: set[tuple[str, str]] = set()
    for n, (stated_at, function, pid, p, magnitude, withdraw) in enumerate(
        sorted(model["beliefs"], key=lambda b: b[0])
    ):
        withdrawn = withdraw and (function, pid) in held
        await beliefs.append_given(
            tx,
            actor,
            belief_id=f"bel-{n}",
            function=function,
            proposition_id=pid,
            p=None if withdrawn else p,
            magnitude=None if withdrawn else magnitude,
            rationale=None,
            withdrawn=withdrawn,
            stated_at=stated_at,
        )
        held.add((function, pid))
    if model["retire"]:
        await tx.run(
            entities.RETIRE_ENTITY, id=model["pains"][0], now=model["cut"], reason="r", actor_id="m"
        )


@settings(settings.get_profile("db"), max_examples=4)
@given(model=small_models())
async def test_any_small_model_round_trips_at_any_time(
    db: Database, tmp_path: Path, model: dict[str, Any]
) -> None:
    await wipe(db)
    await db.write(_write_model, model)
    now = datetime.now(UTC)
    fingerprints = {}
    files = {}
    for name, as_of in (("now", now), ("cut", model["cut"])):
        info, _ = await snapshots.create(db, Actor.system(), no_figures, as_of=as_of, now=now)
        fingerprints[name] = (info.fingerprint, info.as_of)
        files[name] = await export_to(db, info.id, tmp_path / f"{name}-{info.id}.json")
    for name, (fingerprint, as_of) in fingerprints.items():
        await wipe(db)
        await restore(db, SnapshotFile(files[name]))
        assert await live_fingerprint(db, as_of) == fingerprint, name
        assert await live_fingerprint(db, now) == fingerprint, name


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
