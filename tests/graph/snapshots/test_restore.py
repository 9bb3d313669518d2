"""Snapshots freeze the model; restoring one into an empty database reproduces its fingerprint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from neo4j import AsyncManagedTransaction

from graph import beliefs, entities, evidence, propositions, seeding
from graph.kit import migrations
from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from graph.snapshots.content import fingerprint_of
from graph.snapshots.restore import SnapshotFile, restore
from graph.support import SupportSettings, support_for
from schema.errors import BadInput, Conflict
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.snapshots import SECTIONS
from schema.vocabulary import (
    DEFAULT_FUNCTIONS,
    DEFAULT_RELIABILITY,
    EntityKind,
    Relation,
    Role,
    Stance,
)
from tests.conftest import wipe
from tests.factories import small_model
from tests.graph.snapshots.factories import BASE, export_to, live_fingerprint, no_figures

SNAPSHOT_SCHEMA = orjson.loads(
    (Path(__file__).resolve().parents[3] / "schema" / "snapshot.schema.json").read_bytes()
)


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
        "decisions": 2,
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
            await evidence.redact(tx, actor, f"ev-{n}", "pii", later)
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


async def test_source_keys_travel_with_the_evidence_so_a_restore_weighs_alike(
    db: Database, tmp_path: Path
) -> None:
    """Items from one source (a requester without an account) combine by noisy-OR; a
    snapshot carries their source key, so the restored model weighs them the same."""
    model = await small_model(db, account=None, pains=1, at=BASE)
    proposition = model.experiences[0]
    actor = Actor(member_id="mem-raj", name="Raj", function="success", role=Role.ADMIN)
    items = [
        EvidenceCreate(
            source_type="support_ticket",
            summary=f"ticket {n} from the same requester",
            source_key="requester-17",
            bears=[BearingCreate(proposition_id=proposition, stance=Stance.SUPPORTS)],
        )
        for n in range(3)
    ]
    await db.write(evidence.add, actor, items, BASE)
    as_of = BASE + timedelta(days=1)
    settings_ = SupportSettings(dict(DEFAULT_RELIABILITY))
    before = (await db.read(support_for, settings_, as_of=as_of, ids=[proposition]))[proposition]
    # One source's three items count once (noisy-OR), not three times.
    assert before.supporting < 1.0

    info, _ = await snapshots.create(db, actor, no_figures, as_of=as_of)
    path = await export_to(db, info.id, tmp_path / "keys.json")
    document = orjson.loads(path.read_bytes())
    jsonschema.validate(document, SNAPSHOT_SCHEMA)
    keys = {e["source_key"] for e in document["content"]["evidence"]}
    assert len(keys) == 1 and "requester-17" not in keys  # one source, carried as its HMAC

    await wipe(db)
    await restore(db, SnapshotFile(path))
    after = (await db.read(support_for, settings_, as_of=as_of, ids=[proposition]))[proposition]
    assert after.supporting == pytest.approx(before.supporting, rel=1e-12)
    assert await live_fingerprint(db, as_of) == info.fingerprint
