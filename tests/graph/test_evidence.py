"""Evidence in the repository layer: batches, idempotency, retraction, redaction, listings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from graph import evidence, merge, propositions
from graph.kit.connection import Database, fetch_one
from schema.entities import AccountNotFound
from schema.errors import BadInput, Forbidden, NotFound
from schema.models import (
    Actor,
    BearingCreate,
    EvidenceCreate,
)
from schema.vocabulary import Role, Stance
from tests.factories import small_model

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PRODUCT = Actor(member_id="mem-p", name="P", function="product", role=Role.CONTRIBUTOR)
SALES = Actor(member_id="mem-s", name="S", function="sales", role=Role.CONTRIBUTOR)
ADMIN = Actor(member_id="mem-a", name="A", function="engineering", role=Role.ADMIN)


async def _model(db: Database, pains: int = 2) -> tuple[str, list[str]]:
    """A segment with an account, and one EXPERIENCES proposition per pain."""
    model = await small_model(db, pains=pains, actor=PRODUCT, at=T0)
    assert model.account_id is not None
    return model.account_id, model.experiences


def _item(
    proposition_id: str,
    *,
    key: str | None = None,
    account_id: str | None = None,
    stance: Stance = Stance.SUPPORTS,
    source_type: str = "interview",
    observed_at: datetime | None = None,
) -> EvidenceCreate:
    return EvidenceCreate(
        source_type=source_type,
        summary=f"said so ({key})",
        account_id=account_id,
        idempotency_key=key,
        observed_at=observed_at,
        bears=[BearingCreate(proposition_id=proposition_id, stance=stance)],
    )


async def _evidence_count(db: Database) -> int:
    row = await db.read(fetch_one, "MATCH (ev:Evidence) RETURN count(ev) AS n")
    assert row is not None
    return int(row["n"])


async def test_a_resent_batch_writes_nothing_new_and_keeps_input_order(db: Database) -> None:
    _, (prop, _) = await _model(db)
    batch = [_item(prop, key="k1"), _item(prop), _item(prop, key="k2")]
    first = await db.write(evidence.add, PRODUCT, batch, T0)
    assert [created for _, created in first] == [True, True, True]

    again = await db.write(evidence.add, PRODUCT, batch, T0 + timedelta(hours=1))
    # The keyed items come back as they were; the unkeyed one is new each time.
    assert again[0] == (first[0][0], False)
    assert again[2] == (first[2][0], False)
    assert again[1][1] is True and again[1][0] != first[1][0]
    assert await _evidence_count(db) == 4


async def test_bad_batches_write_nothing(db: Database) -> None:
    _, (prop, other) = await _model(db)
    with pytest.raises(BadInput, match="share an idempotencyKey"):
        await db.write(evidence.add, PRODUCT, [_item(prop, key="x"), _item(prop, key="x")], T0)
    with pytest.raises(NotFound):
        await db.write(evidence.add, PRODUCT, [_item(prop), _item("prop-missing")], T0)
    with pytest.raises(NotFound):
        await db.write(evidence.add, PRODUCT, [_item(prop, account_id="acct-missing")], T0)
    await db.write(propositions.retire, PRODUCT, other, "wrong", T0)
    with pytest.raises(BadInput, match="retired"):
        await db.write(evidence.add, PRODUCT, [_item(prop), _item(other)], T0)
    viewer = Actor(member_id="mem-v", name="V", function="product", role=Role.VIEWER)
    with pytest.raises(Forbidden):
        await db.write(evidence.add, viewer, [_item(prop)], T0)
    assert await _evidence_count(db) == 0


async def test_only_the_recording_function_or_a_facilitator_may_retract(db: Database) -> None:
    _, (prop, _) = await _model(db)
    [(item_id, _)] = await db.write(evidence.add, PRODUCT, [_item(prop)], T0)
    with pytest.raises(Forbidden):
        await db.write(evidence.retract, SALES, item_id, "not ours", T0 + timedelta(days=1))
    facilitator = Actor(member_id="mem-f", name="F", function="design", role=Role.FACILITATOR)
    retracted = await db.write(
        evidence.retract, facilitator, item_id, "duplicate", T0 + timedelta(days=2)
    )
    assert retracted.retracted_at == T0 + timedelta(days=2)
    assert retracted.retract_reason == "duplicate"


async def test_pages_per_proposition_follow_as_of_retraction_and_cursors(db: Database) -> None:
    _, (prop, other) = await _model(db)
    days = [T0 + timedelta(days=n) for n in range(5)]
    written = []
    for n, day in enumerate(days):
        written += await db.write(evidence.add, PRODUCT, [_item(prop, observed_at=day)], day)
        if n < 2:
            await db.write(evidence.add, PRODUCT, [_item(other, observed_at=day)], day)
    newest_first = [item_id for item_id, _ in reversed(written)]
    await db.write(evidence.retract, PRODUCT, newest_first[0], "mistake", days[4] + timedelta(1))
    later = days[4] + timedelta(days=2)

    first, second, past, whole, none = await db.read(
        evidence.pages_for_propositions,
        [
            {
                "proposition_id": prop,
                "as_of": later,
                "include_retracted": False,
                "after": None,
                "limit": 2,
            },
            {
                "proposition_id": other,
                "as_of": later,
                "include_retracted": False,
                "after": None,
                "limit": 10,
            },
            {
                "proposition_id": prop,
                "as_of": days[1],
                "include_retracted": False,
                "after": None,
                "limit": 10,
            },
            {
                "proposition_id": prop,
                "as_of": later,
                "include_retracted": True,
                "after": None,
                "limit": 10,
            },
            {
                "proposition_id": "prop-nothing",
                "as_of": later,
                "include_retracted": False,
                "after": None,
                "limit": 10,
            },
        ],
    )
    assert [e.id for e in first[0]] == newest_first[1:3] and first[1] == 4
    assert second[1] == 2
    assert [e.id for e in past[0]] == newest_first[3:] and past[1] == 2
    assert [e.id for e in whole[0]] == newest_first and whole[0][0].retract_reason == "mistake"
    assert none == ([], 0)

    last = first[0][-1]
    [(rest, total)] = await db.read(
        evidence.pages_for_propositions,
        [
            {
                "proposition_id": prop,
                "as_of": later,
                "include_retracted": False,
                "after": (last.observed_at, last.id),
                "limit": 10,
            }
        ],
    )
    assert [e.id for e in rest] == newest_first[3:] and total == 4


async def test_listing_filters_by_account_and_source_type(db: Database) -> None:
    account, (prop, other) = await _model(db)
    await db.write(
        evidence.add,
        PRODUCT,
        [
            _item(prop, account_id=account, source_type="support_ticket"),
            _item(prop, source_type="survey"),
            _item(other, account_id=account, source_type="survey"),
        ],
        T0,
    )
    as_of = T0 + timedelta(days=1)

    async def listing(**filters: object) -> tuple[list[str], int]:
        args: dict[str, object] = {
            "proposition_id": None,
            "account_id": None,
            "source_type": None,
            **filters,
        }
        items, total = await db.read(
            evidence.list_page,
            as_of=as_of,
            include_retracted=False,
            after=None,
            limit=10,
            **args,
        )
        return sorted(e.source_type for e in items), total

    assert await listing() == (["support_ticket", "survey", "survey"], 3)
    assert await listing(account_id=account) == (["support_ticket", "survey"], 2)
    assert await listing(proposition_id=prop, source_type="survey") == (["survey"], 1)
    assert await listing(proposition_id=other, account_id=account) == (["survey"], 1)


async def test_redaction_removes_the_text_and_only_an_admin_may(db: Database) -> None:
    _, (prop, _) = await _model(db)
    [(item_id, _)] = await db.write(evidence.add, PRODUCT, [_item(prop)], T0)
    with pytest.raises(Forbidden):
        await db.write(evidence.redact, PRODUCT, item_id, "personal data", T0)
    redacted = await db.write(evidence.redact, ADMIN, item_id, "personal data", T0)
    assert redacted.summary is None and redacted.redacted_at == T0
    assert redacted.bears[0].stance is Stance.SUPPORTS and redacted.bears[0].strength == 1.0


async def test_an_account_id_that_is_no_account_refuses_the_whole_batch(db: Database) -> None:
    account, (prop, _) = await _model(db)
    model = await small_model(db, segment="Enterprise", account=None, pains=[], actor=PRODUCT)
    # An entity that is not an account (a segment) is refused like an id nobody knows.
    for wrong in (model.segment_id, "acct-missing"):
        batch = [_item(prop, account_id=account), _item(prop, account_id=wrong)]
        with pytest.raises(AccountNotFound) as refused:
            await db.write(evidence.add, PRODUCT, batch, T0)
        assert refused.value.entity_id == wrong
    assert await _evidence_count(db) == 0
    written = await db.write(evidence.add, PRODUCT, [_item(prop, account_id=account)], T0)
    assert [created for _, created in written] == [True]


async def test_evidence_naming_a_merged_proposition_lands_on_its_survivor(db: Database) -> None:
    model = await small_model(db, pains=2, actor=PRODUCT, at=T0)
    kept_pid, merged_pid = model.experiences
    facilitator = Actor(member_id="mem-f", name="F", function="leadership", role=Role.FACILITATOR)
    await db.write(merge.merge_entities, facilitator, model.pain_ids[0], model.pain_ids[1], T0)
    # The old id resolves to the survivor, which the write locks before it reads again.
    answered = await db.write(
        evidence.add_answered, PRODUCT, [_item(merged_pid), _item(kept_pid)], T0, lambda e: e
    )
    assert [e.bears[0].proposition_id for e, _ in answered] == [kept_pid, kept_pid]
    stored = await db.read(evidence.get_many, [e.id for e, _ in answered])
    assert [stored[e.id].bears[0].proposition_id for e, _ in answered] == [kept_pid, kept_pid]
