"""The shared model a process keeps equals the model read from scratch, after any writes.

Each example writes a random sequence of evidence (from accounts, source keys and neither,
observed before and after now), retractions, redactions, beliefs and withdrawals, retired
and restored pains, new pains and merges, through the product's own write functions; after
every step the process's copy — brought up to date by reading only what changed — must give
every figure that a full read of the raw evidence gives, to a relative 1e-9, and the
segment's scope it keeps while the model's shape holds must be the one read afresh.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import beliefs, entities, evidence, model_version, propositions, support
from graph.divergence import EngineSettings, Picture, SharedModel, load_picture, shared
from graph.divergence.shared import ItemInputs, _AllItems
from graph.kit.connection import Database, fetch_one
from graph.merge import merge_entities
from schema.errors import BadInput, Conflict, NotFound
from schema.models import (
    Actor,
    BearingCreate,
    BeliefCreate,
    EntityCreate,
    EntityUpdate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.vocabulary import EntityKind, Relation, Stance
from tests.conftest import wipe
from tests.factories import small_model

SYSTEM = Actor.system()
SETTINGS = EngineSettings()
FUNCTIONS = ("product", "sales", "marketing")
PAINS = 3

adds = st.tuples(
    st.just("add"),
    st.integers(0, PAINS - 1),  # which proposition
    st.sampled_from([Stance.SUPPORTS, Stance.CONTRADICTS]),
    st.sampled_from([0.4, 0.7, 1.0]),
    st.sampled_from([None, "acme", "globex"]),  # an account, or none
    st.sampled_from([None, "ada@example.com", "bob@example.com"]),  # a source key
    st.integers(-800, 3),  # observed this many days from now (a few after it)
    st.sampled_from(["support_ticket", "interview", "survey"]),
    st.integers(1, 3),  # how many alike items in the batch
)
corrections = st.tuples(st.sampled_from(["retract", "redact"]), st.integers(0, 50))
statements = st.tuples(
    st.just("believe"), st.integers(0, PAINS - 1), st.sampled_from(FUNCTIONS), st.floats(0, 1)
)
withdrawals = st.tuples(st.just("withdraw"), st.integers(0, PAINS - 1), st.sampled_from(FUNCTIONS))
retirements = st.tuples(st.sampled_from(["retire", "unretire"]), st.integers(0, PAINS - 1))
merges = st.tuples(st.just("merge"), st.integers(0, PAINS - 1), st.integers(0, PAINS - 1))
growths = st.tuples(st.just("grow"))  # a new pain the segment experiences
steps = st.lists(
    st.one_of(adds, adds, corrections, statements, withdrawals, retirements, merges, growths),
    min_size=1,
    max_size=8,
)


async def _apply(db: Database, world: dict[str, Any], step: tuple[Any, ...]) -> None:
    now = datetime.now(UTC)
    kind = step[0]
    if kind == "add":
        _, n, stance, strength, account, key, days, source_type, count = step
        item = EvidenceCreate(
            source_type=source_type,
            summary=f"item {len(world['items'])}",
            observed_at=now + timedelta(days=days, microseconds=len(world["items"])),
            account_id=world["accounts"].get(account),
            source_key=key,
            bears=[
                BearingCreate(
                    proposition_id=world["propositions"][n],
                    stance=stance,
                    strength=strength,
                    magnitude=3 if source_type == "survey" else None,
                )
            ],
        )
        written = await db.write(evidence.add, SYSTEM, [item] * count, now)
        world["items"].extend(evidence_id for evidence_id, _ in written)
    elif kind in ("retract", "redact") and world["items"]:
        item_id = world["items"][step[1] % len(world["items"])]
        found = await db.read(evidence.get, item_id)
        if found is not None and found.retracted_at is None and found.redacted_at is None:
            correct = evidence.retract if kind == "retract" else evidence.redact
            await db.write(correct, SYSTEM, item_id, "checked", now)
    elif kind == "believe":
        _, n, function, p = step
        data = BeliefCreate(proposition_id=world["propositions"][n], p=p, function=function)
        await _quietly(db.write(beliefs.state, SYSTEM, data, now))
    elif kind == "withdraw":
        _, n, function = step
        await _quietly(db.write(beliefs.withdraw, SYSTEM, world["propositions"][n], function, now))
    elif kind in ("retire", "unretire"):
        change = entities.retire if kind == "retire" else entities.unretire
        await _quietly(db.write(change, SYSTEM, world["pains"][step[1]], "tidying", now))
    elif kind == "merge" and step[1] != step[2]:
        keep, gone = world["pains"][step[1]], world["pains"][step[2]]
        await _quietly(db.write(merge_entities, SYSTEM, keep, gone, now))
    elif kind == "grow":
        pain, _ = await db.write(
            entities.create, SYSTEM, EntityCreate(kind=EntityKind.PAIN, name="New pain"), now
        )
        data = PropositionCreate(
            subject_id=world["segment"], relation=Relation.EXPERIENCES, object_id=pain.id
        )
        await db.write(propositions.create, SYSTEM, data, now)


async def _quietly(write: Any) -> None:
    """A step the model refuses (a withdrawal of nothing, a merged pain retired) is skipped:
    what matters is that whatever was written is seen alike."""
    try:
        await write
    except (BadInput, NotFound, Conflict):
        pass


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def assert_same_model(kept: Picture, fresh: Picture) -> None:
    assert kept.propositions == fresh.propositions
    assert kept.beliefs == fresh.beliefs
    assert kept.functions == fresh.functions
    assert kept.support.keys() == fresh.support.keys()
    for pid, want in fresh.support.items():
        got = kept.support[pid]
        for name in ("supporting", "contradicting", "mean_magnitude"):
            assert _close(getattr(got, name), getattr(want, name)), (pid, name)
        for name in ("mean", "low", "high", "confidence"):
            assert _close(getattr(got.posterior, name), getattr(want.posterior, name)), name
        assert got.posterior.status == want.posterior.status
        assert got.evidence_ids == want.evidence_ids
        assert got.newest_evidence_at == want.newest_evidence_at
        assert (got.evidence_count, got.supporting_count, got.contradicting_count) == (
            want.evidence_count,
            want.supporting_count,
            want.contradicting_count,
        )
        assert (got.distinct_accounts, got.distinct_sources) == (
            want.distinct_accounts,
            want.distinct_sources,
        )


async def _world(db: Database) -> dict[str, Any]:
    model = await small_model(db, account="Acme", pains=PAINS)
    other, _ = await db.write(
        entities.create,
        SYSTEM,
        EntityCreate(kind=EntityKind.ACCOUNT, name="Globex", segment_id=model.segment_id),
        datetime.now(UTC),
    )
    return {
        "propositions": model.experiences,
        "pains": model.pain_ids,
        "accounts": {None: None, "acme": model.account_id, "globex": other.id},
        "items": [],
        "segment": model.segment_id,
    }


@settings(settings.get_profile("db"), max_examples=12)
@given(sequence=steps)
async def test_the_kept_model_equals_a_full_read_after_any_writes(
    db: Database, sequence: list[tuple[Any, ...]]
) -> None:
    await wipe(db)
    world = await _world(db)
    kept = SharedModel(db)
    await kept.picture(SETTINGS, as_of=datetime.now(UTC))  # held before the writes
    segment = world["segment"]
    await kept.picture(SETTINGS, as_of=None, segment_id=segment)  # its scope kept
    for step in sequence:
        await _apply(db, world, step)
        as_of = datetime.now(UTC)
        fresh = await db.read(load_picture, SETTINGS, as_of=as_of)
        assert_same_model(await kept.picture(SETTINGS, as_of=as_of), fresh)
        now = await kept.picture(SETTINGS, as_of=None, segment_id=segment)
        read = await db.read(load_picture, SETTINGS, as_of=now.as_of, segment_id=segment)
        assert (now.segment, now.scope) == (read.segment, read.scope)


async def test_prepared_at_start_the_model_is_laid_out_for_weighing(db: Database) -> None:
    """What a server does as it starts: the first page then finds the items laid out."""
    world = await _world(db)
    await _apply(db, world, ("add", 0, Stance.SUPPORTS, 0.7, "acme", None, -3, "interview", 1))
    kept = SharedModel(db)
    await kept.prepare()
    laid_out = (await kept.current()).built_items()
    assert laid_out is not None and world["propositions"][0] in laid_out.proposition_ids
    fresh = await db.read(load_picture, SETTINGS, as_of=datetime.now(UTC))
    assert_same_model(await kept.picture(SETTINGS, as_of=fresh.as_of), fresh)


async def _many_items(db: Database, world: dict[str, Any]) -> list[str]:
    """Forty items on the first proposition, every third of them the newest, all at one
    time; the others a minute apart before it. Their ids, in order."""
    now = datetime.now(UTC)
    items = [
        EvidenceCreate(
            source_type="interview",
            summary=f"item {n}",
            observed_at=now - timedelta(seconds=30) if n % 3 == 0 else now - timedelta(minutes=n),
            account_id=world["accounts"]["acme"] if n % 2 else None,
            bears=[
                BearingCreate(
                    proposition_id=world["propositions"][0],
                    stance=Stance.SUPPORTS if n % 4 else Stance.CONTRADICTS,
                    strength=0.5,
                )
            ],
        )
        for n in range(40)
    ]
    return [item_id for item_id, _ in await db.write(evidence.add, SYSTEM, items, now)]


async def test_the_newest_ids_beyond_the_limit_and_at_equal_times_are_a_full_reads(
    db: Database,
) -> None:
    """A proposition's figures name its newest items, at most ``EVIDENCE_IDS_LIMIT`` of
    them: the kept model picks them from the items it read as a full read orders them (by
    the observed time, then by id), here with more items than that, the newest fourteen at
    one time."""
    world = await _world(db)
    ids = await _many_items(db, world)
    kept = SharedModel(db)
    as_of = datetime.now(UTC)
    got = (await kept.picture(SETTINGS, as_of=as_of)).support[world["propositions"][0]]
    tied = sorted((ids[n] for n in range(0, 40, 3)), reverse=True)
    assert got.evidence_count == 40 and len(got.evidence_ids) == support.EVIDENCE_IDS_LIMIT
    assert list(got.evidence_ids[: len(tied)]) == tied  # the newest, by id among equals
    assert got.evidence_ids[len(tied)] == ids[1]  # then the next newest
    fresh = await db.read(load_picture, SETTINGS, as_of=as_of)
    assert_same_model(await kept.picture(SETTINGS, as_of=as_of), fresh)


async def test_an_item_bearing_twice_on_a_proposition_is_counted_as_a_full_read_counts(
    db: Database,
) -> None:
    """An item linked twice to one proposition (by other means: the product refuses it) is
    one item among the ids and the evidence count, two rows among the stances' counts, in
    the kept model as in a full read."""
    world = await _world(db)
    ids = await _many_items(db, world)
    await db.write(
        fetch_one,
        """MATCH (ev:Evidence {id: $id}), (p:Proposition {id: $pid})
        CREATE (ev)-[:BEARS_ON {stance: 'SUPPORTS', strength: 0.5}]->(p)
        RETURN ev.id AS id""",
        id=ids[3],
        pid=world["propositions"][0],
    )
    kept = SharedModel(db)
    as_of = datetime.now(UTC)
    got = (await kept.picture(SETTINGS, as_of=as_of)).support[world["propositions"][0]]
    assert got.evidence_count == 40 and got.evidence_ids.count(ids[3]) == 1
    fresh = await db.read(load_picture, SETTINGS, as_of=as_of)
    assert_same_model(await kept.picture(SETTINGS, as_of=as_of), fresh)


async def test_a_model_read_in_many_chunks_at_once_is_a_full_reads(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first read takes its propositions a chunk at a time, several chunks at once: here a
    chunk of one, so each proposition is its own read, and the copy equals a full read."""
    world = await _world(db)
    for n in range(PAINS):
        step = ("add", n, Stance.SUPPORTS, 0.7, "acme", None, -n - 1, "interview", n + 1)
        await _apply(db, world, step)
    monkeypatch.setattr(shared, "READ_CHUNK", 1)
    kept = SharedModel(db)
    as_of = datetime.now(UTC)
    fresh = await db.read(load_picture, SETTINGS, as_of=as_of)
    assert len(fresh.propositions) > shared.READS_AT_ONCE  # more chunks than read at once
    assert_same_model(await kept.picture(SETTINGS, as_of=as_of), fresh)


class _ChunkFailed(RuntimeError):
    pass


async def test_a_chunk_failing_raises_its_own_error_and_ends_the_others(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's failure reaches the caller as itself, not wrapped: the handlers that answer
    an outage with 503 and a timeout with 504 know it by its class."""
    world = await _world(db)
    await _apply(db, world, ("add", 0, Stance.SUPPORTS, 0.7, "acme", None, -1, "interview", 1))
    read = shared._read_propositions

    async def failing(tx: Any, ids: list[str], now: datetime) -> Any:
        if world["propositions"][1] in ids:
            raise _ChunkFailed("this chunk failed")
        return await read(tx, ids, now)

    monkeypatch.setattr(shared, "READ_CHUNK", 1)
    monkeypatch.setattr(shared, "_read_propositions", failing)
    kept = SharedModel(db)
    with pytest.raises(_ChunkFailed):
        await kept.current()
    assert not kept.held


async def test_a_later_time_decays_the_kept_weights_exactly(db: Database) -> None:
    world = await _world(db)
    for days in (-400, -30, -1, 2):  # the last observed after the reports' time: not aged
        # One account's items combine by noisy-OR; an item with no account nor key is its
        # own source, and a later T scales those alone by one factor (with magnitudes).
        for step in (
            ("add", 0, Stance.SUPPORTS, 0.7, "acme", None, days, "interview", 1),
            ("add", 0, Stance.CONTRADICTS, 0.4, None, None, days, "survey", 1),
            ("add", 1, Stance.SUPPORTS, 0.9, None, None, days - 3, "survey", 1),
        ):
            await _apply(db, world, step)
    kept = SharedModel(db)
    for later in (timedelta(0), timedelta(days=90), timedelta(days=1000)):
        as_of = datetime.now(UTC) + later
        fresh = await db.read(load_picture, SETTINGS, as_of=as_of)
        assert_same_model(await kept.picture(SETTINGS, as_of=as_of), fresh)


async def test_a_write_reads_again_only_what_it_changed(db: Database) -> None:
    world = await _world(db)
    kept = SharedModel(db)
    before = await kept.current()
    await _apply(db, world, ("add", 1, Stance.SUPPORTS, 1.0, None, None, -3, "interview", 1))
    after = await kept.current()
    changed = world["propositions"][1]
    untouched = [pid for pid in world["propositions"] if pid != changed]
    # The untouched propositions' inputs are the very objects held before; the changed one's
    # were read again and now count the new item.
    assert all(after.items.get(pid) is before.items.get(pid) for pid in untouched)
    assert after.figures[changed].evidence_count == before.figures[changed].evidence_count + 1
    assert math.isclose(after.items[changed].strength.sum(), 1.0)


async def test_evidence_and_beliefs_keep_what_was_read_of_the_shape(db: Database) -> None:
    """A segment's scope, kept while the model's shape holds, is read once across writes of
    evidence, corrections and beliefs; a write that changes the shape (a new proposition, an
    entity edited) makes the next copy read it again."""
    world = await _world(db)
    kept = SharedModel(db)
    segment = world["segment"]
    first = await kept.picture(SETTINGS, as_of=None, segment_id=segment)
    shaped = (await kept.current()).shaped
    assert ("segment scope", segment) in shaped
    for step in (
        ("add", 1, Stance.SUPPORTS, 1.0, None, None, -3, "interview", 1),
        ("retract", 0),
        ("believe", 0, "sales", 0.3),
        ("withdraw", 0, "sales"),
    ):
        before = await kept.current()
        await _apply(db, world, step)
        after = await kept.current()
        assert after is not before  # a new copy of the model
        assert after.shaped is shaped, step  # the same shape: its scope not read again
    await _apply(db, world, ("grow",))
    grown = await kept.picture(SETTINGS, as_of=None, segment_id=segment)
    shaped_since = (await kept.current()).shaped
    assert shaped_since is not shaped
    assert len(grown.scope) == len(first.scope) + 1
    await db.write(
        entities.update,
        SYSTEM,
        world["pains"][0],
        EntityUpdate(description="Now with a description"),
        datetime.now(UTC),
    )
    assert (await kept.current()).shaped is not shaped_since


async def test_a_write_that_never_moves_the_shape_count_ends_it_when_a_view_changes(
    db: Database,
) -> None:
    """A server of an earlier version, during a rolling deploy, stamps what it changed but
    moves no shape count: a rename it writes changes the view of the propositions about the
    entity, and that alone ends what was kept of the shape."""
    world = await _world(db)
    kept = SharedModel(db)
    await kept.picture(SETTINGS, as_of=None, segment_id=world["segment"])
    shaped = (await kept.current()).shaped
    pain, pid = world["pains"][0], world["propositions"][0]

    async def renamed_as_before(tx: Any) -> None:
        await tx.run("MATCH (e:Entity {id: $id}) SET e.name = $name", id=pain, name="Slow setup")
        await model_version.bump(tx, model_version.weighing([pid]))  # no shape count moves

    await db.write(renamed_as_before)
    after = await kept.current()
    assert after.views[pid].object.name == "Slow setup"
    assert after.shaped is not shaped


async def test_a_proposition_stamped_again_on_another_slot_meanwhile_is_read_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that follows its own write sees it, even when another write stamped the same
    proposition again, on another counter, between its counters' read and its stamps'."""
    world = await _world(db)
    kept = SharedModel(db)
    held = await kept.current()
    changed = world["propositions"][1]
    monkeypatch.setattr(model_version.random, "randrange", lambda _: 3)
    await _apply(db, world, ("add", 1, Stance.SUPPORTS, 1.0, None, None, -3, "interview", 1))
    counters = await db.read(model_version.counters)  # the request's, after its own write
    monkeypatch.setattr(model_version.random, "randrange", lambda _: 5)
    await _apply(db, world, ("add", 1, Stance.SUPPORTS, 1.0, None, None, -2, "interview", 1))
    refreshed = await kept._refresh(held, counters, None)
    assert refreshed.figures[changed].evidence_count >= held.figures[changed].evidence_count + 1


async def test_a_proposition_written_by_other_means_is_found_at_the_next_write(
    db: Database,
) -> None:
    """A process reads only the stamps that moved, and counts the propositions: one that
    came without a stamp (written straight into the database) makes it compare every stamp."""
    world = await _world(db)
    kept = SharedModel(db)
    await kept.current()
    copied = world["propositions"][0]
    await db.write(
        fetch_one,
        "MATCH (p:Proposition {id: $id})-[:SUBJECT]->(s), (p)-[:OBJECT]->(o) "
        "CREATE (q:Proposition {id: 'written-by-hand', relation: p.relation, "
        "created_by: p.created_by, created_at: p.created_at})-[:SUBJECT]->(s), "
        "(q)-[:OBJECT]->(o) RETURN q.id AS id",
        id=copied,
    )
    await _apply(db, world, ("add", 1, Stance.SUPPORTS, 1.0, None, None, -3, "interview", 1))
    found = await kept.current()
    assert "written-by-hand" in found.views
    as_of = datetime.now(UTC)
    fresh = await db.read(load_picture, SETTINGS, as_of=as_of)
    assert_same_model(await kept.picture(SETTINGS, as_of=as_of), fresh)


async def test_a_database_emptied_and_filled_again_is_read_again(db: Database) -> None:
    world = await _world(db)
    kept = SharedModel(db)
    first = await kept.current()
    await wipe(db)
    again = await _world(db)
    found = await kept.current()
    assert set(found.views) == set(again["propositions"])
    assert not set(found.views) & set(world["propositions"])
    assert found.counters.epoch != first.counters.epoch
    row = await db.read(fetch_one, "MATCH (v:ModelVersion {slot: -1}) RETURN v.epoch AS e")
    assert row is not None and row["e"] == found.counters.epoch


item_rows = st.lists(
    st.tuples(
        st.booleans(),  # supports
        st.sampled_from(["support_ticket", "interview", "survey"]),
        st.sampled_from([0.4, 0.7, 1.0]),
        st.sampled_from([-1, 2, 5]),  # a magnitude, -1 for none
        st.integers(0, 3_000_000),  # observed, seconds after a start
        st.sampled_from(["acme", "key:ada", "alone-1", "alone-2"]),  # the source
    ),
    max_size=6,
)
held_items = st.dictionaries(st.sampled_from([f"p{n}" for n in range(8)]), item_rows)


def _inputs_of(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, ItemInputs]:
    start = 1_700_000_000
    return {
        pid: ItemInputs.from_row(
            {
                "supports": [r[0] for r in found],
                "types": [r[1] for r in found],
                "strengths": [r[2] for r in found],
                "magnitudes": [r[3] for r in found],
                "seconds": [start + r[4] for r in found],
                "nanos": [n * 1_000 for n in range(len(found))],
                "sources": [r[5] for r in found],
            }
        )
        for pid, found in rows.items()
    }


@settings(max_examples=60, deadline=None)
@given(before=held_items, after=held_items, later_days=st.sampled_from([-20, 0, 1, 400]))
def test_a_write_splices_its_propositions_into_the_kept_items(
    before: dict[str, list[tuple[Any, ...]]],
    after: dict[str, list[tuple[Any, ...]]],
    later_days: int,
) -> None:
    """The kept items with the propositions a write changed read again weigh exactly as the
    same items laid out from scratch: the same S, C and mean magnitude, bit for bit."""
    old_inputs, new_inputs = _inputs_of(before), _inputs_of(after)
    changed = set(after) | {pid for n, pid in enumerate(sorted(before)) if n % 3 == 0}
    current = {pid: i for pid, i in old_inputs.items() if pid not in changed}
    current.update(new_inputs)
    spliced = _AllItems.of(old_inputs).spliced(changed, new_inputs)
    laid_out = _AllItems.of(current)
    assert sorted(spliced.proposition_ids) == list(laid_out.proposition_ids)
    as_of = datetime(2023, 12, 20, tzinfo=UTC) + timedelta(days=later_days)
    got = _by_proposition(spliced, as_of)
    want = _by_proposition(laid_out, as_of)
    assert got == want


def _by_proposition(items: _AllItems, as_of: datetime) -> dict[str, tuple[float, ...]]:
    s, c, magnitude = items.weigh(SETTINGS.support_settings, as_of)
    return {pid: (s[n], c[n], magnitude[n]) for n, pid in enumerate(items.proposition_ids)}
