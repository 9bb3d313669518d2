"""Decisions against a real Neo4j: hand-built histories where evidence arrives, is retracted,
or a proposition is retired or merged after a decision, and one where only time passes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import rfc8785

from graph import decisions, merge, propositions, seeding
from graph.decisions.watch import AtRiskWatch, newly_at_risk
from graph.divergence.settings import EngineSettings
from graph.evidence import corrections, writing
from graph.kit.connection import Database, fetch_one
from graph.snapshots import store as snapshots
from graph.snapshots.content import fingerprint_of, iter_content
from graph.snapshots.export.formats import export
from graph.snapshots.figures import figures_for
from graph.snapshots.restore import SnapshotFile, restore
from schema.decisions import (
    DecisionCheck,
    DecisionCreate,
    DecisionKeyReused,
    DecisionOnRetiredProposition,
    NotADecisionMaker,
)
from schema.models import Actor, BearingCreate, EvidenceCreate
from schema.propositions import PropositionNotFound
from schema.snapshots import NOT_FINGERPRINTED, SECTIONS
from schema.vocabulary import Role, Stance, SupportStatus
from tests.conftest import wipe
from tests.factories import make_caller, small_model
from tests.graph.snapshots.factories import export_to, live_fingerprint, no_figures
from tests.graph.snapshots.test_restore import SNAPSHOT_SCHEMA

SYSTEM = Actor.system()
SETTINGS = EngineSettings()
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


async def add(
    db: Database, proposition_id: str, stance: Stance, count: int, when: datetime
) -> list[str]:
    """``count`` interviews (each its own source) observed and recorded at ``when``."""
    items = [
        EvidenceCreate(
            source_type="interview",
            summary=f"{stance.value} {n}",
            observed_at=when,
            bears=[BearingCreate(proposition_id=proposition_id, stance=stance)],
        )
        for n in range(count)
    ]
    written = await db.write(writing.add, SYSTEM, items, when)
    return [item_id for item_id, _ in written]


async def decide(db: Database, ids: list[str], when: datetime, title: str = "Build it") -> str:
    decision, created = await db.write(
        decisions.record,
        SYSTEM,
        DecisionCreate(title=title, rationale="The interviews say so", proposition_ids=ids),
        when,
        SETTINGS,
    )
    assert created
    return decision.id


async def checked(
    db: Database, when: datetime, settings: EngineSettings = SETTINGS
) -> list[DecisionCheck]:
    return await db.read(decisions.checked_as_of, settings, as_of=when)


async def validated_pain(db: Database) -> str:
    """One proposition, validated by five interviews on day 0."""
    model = await small_model(db, account=None, pains=["Slow onboarding"], at=T0)
    pid = model.experiences[0]
    await add(db, pid, Stance.SUPPORTS, 5, at(0))
    return pid


async def test_evidence_after_a_decision_puts_it_at_risk_naming_the_items(db: Database) -> None:
    pid = await validated_pain(db)
    await decide(db, [pid], at(1))
    (before,) = await checked(db, at(2))
    assert not before.at_risk
    basis = before.basis[0]
    assert basis.status_when_decided is SupportStatus.VALIDATED
    assert basis.status_then is basis.status_now is SupportStatus.VALIDATED
    assert basis.reasons == () and basis.moved_by == ()

    against = await add(db, pid, Stance.CONTRADICTS, 6, at(3))
    (still_before,) = await checked(db, at(2))  # as of before the new evidence: unchanged
    assert not still_before.at_risk
    (after,) = await checked(db, at(4))
    assert after.at_risk
    basis = after.basis[0]
    assert basis.status_then is SupportStatus.VALIDATED
    assert basis.status_now is SupportStatus.CONTESTED
    assert basis.confidence_then - basis.confidence_now >= 0.25
    assert any("now says contested" in r for r in basis.reasons)
    assert any(r.startswith("confidence fell from") for r in basis.reasons)
    assert sorted(basis.moved_by) == sorted(against) and basis.moved_by_count == 6


async def test_age_alone_never_puts_a_decision_at_risk(db: Database) -> None:
    pid = await validated_pain(db)
    await decide(db, [pid], at(1))
    short_memory = EngineSettings(half_life_days=30)
    (years_later,) = await checked(db, at(3650), short_memory)
    basis = years_later.basis[0]
    # The evidence has all but faded: far from what it said when the decision was made...
    assert basis.status_when_decided is SupportStatus.VALIDATED
    assert basis.status_now is SupportStatus.UNKNOWN
    assert basis.confidence_when_decided - basis.confidence_now > 0.4
    # ... but it is the same evidence, weighed at the same time: nothing moved.
    assert basis.status_then is basis.status_now
    assert basis.confidence_then == pytest.approx(basis.confidence_now, abs=1e-12)
    assert not years_later.at_risk and basis.moved_by == ()


async def test_a_retraction_after_the_decision_puts_it_at_risk(db: Database) -> None:
    model = await small_model(db, account=None, pains=["Slow onboarding"], at=T0)
    pid = model.experiences[0]
    first = await add(db, pid, Stance.SUPPORTS, 5, at(0))
    await decide(db, [pid], at(1))
    for item in first[:3]:
        await db.write(corrections.retract, SYSTEM, item, "duplicate notes", at(2))
    (found,) = await checked(db, at(3))
    basis = found.basis[0]
    assert found.at_risk
    assert basis.status_then is SupportStatus.VALIDATED
    assert basis.status_now is SupportStatus.UNKNOWN
    assert sorted(basis.moved_by) == sorted(first[:3])


async def test_a_small_shift_leaves_it_standing_and_the_threshold_is_configurable(
    db: Database,
) -> None:
    model = await small_model(db, account=None, pains=["Slow onboarding"], at=T0)
    pid = model.experiences[0]
    await add(db, pid, Stance.SUPPORTS, 2, at(0))
    await decide(db, [pid], at(1))
    await add(db, pid, Stance.CONTRADICTS, 1, at(2))
    (loose,) = await checked(db, at(3))
    basis = loose.basis[0]
    moved = basis.confidence_then - basis.confidence_now
    assert basis.status_then is basis.status_now  # UNKNOWN both times
    assert 0.0 < moved < 0.25 and not loose.at_risk
    (strict,) = await checked(db, at(3), EngineSettings(decision_confidence_shift=moved - 0.01))
    assert strict.at_risk and strict.confidence_shift == pytest.approx(moved - 0.01)


async def test_a_retired_proposition_puts_its_decisions_at_risk(db: Database) -> None:
    model = await small_model(db, account=None, pains=["Slow onboarding", "No audit log"], at=T0)
    kept, retired = model.experiences
    await decide(db, [kept, retired], at(1))
    await db.write(propositions.retire, SYSTEM, retired, "we misheard the customer", at(2))
    (before,) = await checked(db, at(1.5))
    assert not before.at_risk
    (after,) = await checked(db, at(3))
    assert after.at_risk
    standing, gone = after.basis
    assert standing.reasons == () and not standing.retired
    assert gone.retired and gone.retired_reason == "we misheard the customer"
    assert gone.reasons == ("retired on 2026-01-07: we misheard the customer",)


async def test_a_merged_proposition_is_followed_to_its_survivor(db: Database) -> None:
    model = await small_model(
        db, account=None, pains=["Slow onboarding", "Slow on-boarding"], at=T0
    )
    keep_pain, gone_pain = model.pain_ids
    survivor, merged = model.experiences
    await add(db, merged, Stance.SUPPORTS, 5, at(0))
    await decide(db, [merged], at(1))
    await db.write(merge.merge_entities, SYSTEM, keep_pain, gone_pain, at(2))
    (found,) = await checked(db, at(3))
    basis = found.basis[0]
    assert found.at_risk
    assert basis.proposition_id == merged and basis.current_id == survivor
    assert basis.merged_into == survivor and basis.retired
    assert basis.reasons[0].startswith(f"merged into {survivor}")
    # The evidence moved with it: the survivor's evidence is the same, so nothing else moved.
    assert basis.status_then is basis.status_now is SupportStatus.VALIDATED
    assert basis.moved_by == ()


async def test_recording_refuses_bad_input_and_writes_nothing(db: Database) -> None:
    pid = await validated_pain(db)
    viewer = (await make_caller(db, "sales", Role.VIEWER)).actor
    data = DecisionCreate(title="Build it", proposition_ids=[pid])
    with pytest.raises(NotADecisionMaker):
        await db.write(decisions.record, viewer, data, at(1), SETTINGS)
    with pytest.raises(PropositionNotFound):
        await db.write(
            decisions.record,
            SYSTEM,
            DecisionCreate(title="Build it", proposition_ids=[pid, "prop-nope"]),
            at(1),
            SETTINGS,
        )
    await db.write(propositions.retire, SYSTEM, pid, "wrong", at(2))
    with pytest.raises(DecisionOnRetiredProposition):
        await db.write(decisions.record, SYSTEM, data, at(3), SETTINGS)
    row = await db.read(fetch_one, "MATCH (d:Decision) RETURN count(d) AS n")
    assert row == {"n": 0}


async def test_an_idempotency_key_is_each_functions_own(db: Database) -> None:
    pid = await validated_pain(db)
    sales = (await make_caller(db, "sales")).actor
    product = (await make_caller(db, "product")).actor
    data = DecisionCreate(title="Build it", proposition_ids=[pid], idempotency_key="k1")
    first, created = await db.write(decisions.record, sales, data, at(1), SETTINGS)
    again, created_again = await db.write(decisions.record, sales, data, at(2), SETTINGS)
    assert created and not created_again and again == first
    other, other_created = await db.write(decisions.record, product, data, at(2), SETTINGS)
    assert other_created and other.id != first.id and other.function == "product"
    changed = DecisionCreate(title="Build it later", proposition_ids=[pid], idempotency_key="k1")
    with pytest.raises(DecisionKeyReused):
        await db.write(decisions.record, sales, changed, at(3), SETTINGS)
    assert [d.id for d in await db.read(decisions.list_as_of, at(5))] == [other.id, first.id]


async def test_the_live_watch_names_decisions_that_fell_at_risk(db: Database) -> None:
    pid = await validated_pain(db)
    decision_id = await decide(db, [pid], at(1), title="Ship the wizard")
    watch = AtRiskWatch(SETTINGS)
    before = await watch.stamp(db, "write-1")
    assert before is None
    await add(db, pid, Stance.CONTRADICTS, 6, datetime.now(UTC))
    assert await watch.stamp(db, "write-1") is None  # no new write seen: not checked again
    after = await watch.stamp(db, "write-2")
    assert newly_at_risk(before, after) == [{"id": decision_id, "title": "Ship the wizard"}]
    assert newly_at_risk(after, after) == []


async def test_decisions_round_trip_through_a_snapshot_file(db: Database, tmp_path: Path) -> None:
    pid = await validated_pain(db)
    decision_id = await decide(db, [pid], at(1), title="Build the wizard")
    await add(db, pid, Stance.CONTRADICTS, 6, at(2))
    info, _ = await snapshots.create(db, SYSTEM, no_figures, label="decisions")
    assert info.counts["decisions"] == 1
    assert info.fingerprint == await live_fingerprint(db, info.as_of)
    path = await export_to(db, info.id, tmp_path / "with-decisions.json")
    document = orjson.loads(path.read_bytes())
    jsonschema.validate(document, SNAPSHOT_SCHEMA)
    [record] = document["content"]["decisions"]
    assert record["id"] == decision_id and record["basis"][0]["status"] == "VALIDATED"
    original = await checked(db, at(3))

    await wipe(db)
    written = await restore(db, SnapshotFile(path))
    assert written["decisions"] == 1
    assert await live_fingerprint(db, info.as_of) == info.fingerprint
    again, _ = await snapshots.create(db, SYSTEM, no_figures, as_of=info.as_of)
    assert again.fingerprint == info.fingerprint
    assert await checked(db, at(3)) == original  # the same decision, at risk for the same reasons


async def test_a_model_without_decisions_keeps_the_fingerprint_it_had(db: Database) -> None:
    await validated_pain(db)
    as_of = at(1)
    records = [item async for item in iter_content(db, as_of)]
    assert not any(section == "decisions" for section, _ in records)
    content: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS if s != "decisions"}
    for section, record in records:
        content[section].append({k: v for k, v in record.items() if k not in NOT_FINGERPRINTED})
    expected = hashlib.sha256(rfc8785.dumps(content)).hexdigest()
    assert fingerprint_of(records) == expected
    await decide(db, [records_pid(records)], at(2))
    with_decision = [item async for item in iter_content(db, at(3))]
    assert [s for s, _ in with_decision].count("decisions") == 1
    assert fingerprint_of(with_decision) != fingerprint_of(
        [(s, r) for s, r in with_decision if s != "decisions"]
    )


def records_pid(records: list[tuple[str, dict[str, Any]]]) -> str:
    return next(r["id"] for s, r in records if s == "propositions")


async def test_reports_list_decisions_at_risk_with_their_reasons(db: Database) -> None:
    pid = await validated_pain(db)
    await decide(db, [pid], at(1), title="Build the <b>wizard</b>")
    against = await add(db, pid, Stance.CONTRADICTS, 6, at(2))
    info, _ = await snapshots.create(db, SYSTEM, figures_for(SETTINGS), as_of=at(3))

    async def report(fmt: str, quotes: bool) -> str:
        pieces = [p async for p in export(db, info.id, fmt, quotes=quotes)]
        return b"".join(pieces).decode()

    markdown = await report("md", True)
    assert "## Decisions and whether the evidence still backs them" in markdown
    assert "AT RISK: Build the \\<b\\>wizard\\</b\\> (decided 6 January 2026)" in markdown
    assert "confidence fell from" in markdown and "and 3 more items" in markdown
    assert sum(item in markdown for item in against) == 3 and "“CONTRADICTS" in markdown
    html = await report("html", True)
    assert "AT RISK: Build the &lt;b&gt;wizard&lt;/b&gt;" in html and "confidence fell" in html
    outside = await report("md", False)
    assert "AT RISK" in outside and "CONTRADICTS" not in outside


async def test_the_demo_company_has_one_decision_at_risk(db: Database) -> None:
    await seeding.load_demo(db)
    checks = await checked(db, datetime(2026, 11, 22, tzinfo=UTC))
    by_id = {c.decision.id: c for c in checks}
    assert sorted(by_id) == ["dec-connectors-first", "dec-scheduled-reports"]
    assert [c.decision.id for c in checks if c.at_risk] == ["dec-connectors-first"]
    [basis] = by_id["dec-connectors-first"].basis
    assert (basis.status_then, basis.status_now) == (
        SupportStatus.UNKNOWN,
        SupportStatus.CONTESTED,
    )
    assert round(basis.confidence_then, 2) == 0.67 and round(basis.confidence_now, 2) == 0.36
    assert len(basis.reasons) == 2 and basis.moved_by_count == 9
