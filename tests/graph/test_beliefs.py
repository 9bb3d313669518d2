"""Beliefs in the repository layer: sequence numbers, withdrawals, histories as of a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from graph import beliefs
from graph.kit.connection import Database
from schema.errors import BadInput, Forbidden, NotFound
from schema.models import Actor, BeliefCreate
from schema.vocabulary import Role
from tests.factories import small_model

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PRODUCT = Actor(member_id="mem-p", name="P", function="product", role=Role.CONTRIBUTOR)
SALES = Actor(member_id="mem-s", name="S", function="sales", role=Role.CONTRIBUTOR)


async def _propositions(db: Database, count: int = 2) -> list[str]:
    goals = [f"Goal {n}" for n in range(count)]
    model = await small_model(
        db, segment="Ops", account=None, pains=0, goals=goals, actor=PRODUCT, at=T0
    )
    return model.pursues


def _belief(prop: str, p: float, **extra: object) -> BeliefCreate:
    return BeliefCreate(proposition_id=prop, p=p, **extra)


async def test_histories_and_current_beliefs_follow_the_as_of_time(db: Database) -> None:
    first, second = await _propositions(db)
    day = timedelta(days=1)
    await db.write(beliefs.state, PRODUCT, _belief(first, 0.3, magnitude=2), T0)
    await db.write(beliefs.state, SALES, _belief(first, 0.9), T0 + day)
    await db.write(beliefs.state, PRODUCT, _belief(first, 0.8), T0 + 2 * day)
    await db.write(beliefs.state, SALES, _belief(second, 0.5), T0)

    now = T0 + 3 * day
    everything, product_only, early, other = await db.read(
        beliefs.histories,
        [(first, None, now), (first, "product", now), (first, None, T0 + day), (second, None, now)],
    )
    assert [(b.function, b.seq, b.p) for b in everything] == [
        ("product", 1, 0.3),
        ("product", 2, 0.8),
        ("sales", 1, 0.9),
    ]
    assert [b.p for b in product_only] == [0.3, 0.8]
    assert [(b.function, b.p) for b in early] == [("product", 0.3), ("sales", 0.9)]
    assert [b.p for b in other] == [0.5]

    then = await db.read(beliefs.current, [first], T0 + day)
    assert sorted((b.function, b.p) for b in then) == [("product", 0.3), ("sales", 0.9)]
    latest = await db.read(beliefs.current, [first, second], now, "product")
    assert [(b.proposition_id, b.p) for b in latest] == [(first, 0.8)]


async def test_a_withdrawal_leaves_no_current_belief_and_cannot_be_repeated(
    db: Database,
) -> None:
    [prop] = await _propositions(db, 1)
    await db.write(beliefs.state, PRODUCT, _belief(prop, 0.7), T0)
    withdrawal = await db.write(beliefs.withdraw, PRODUCT, prop, None, T0 + timedelta(hours=1))
    assert withdrawal.withdrawn and withdrawal.p is None and withdrawal.seq == 2
    assert await db.read(beliefs.current, [prop], T0 + timedelta(hours=2)) == []
    [still] = await db.read(beliefs.current, [prop], T0 + timedelta(minutes=30))
    assert still.p == 0.7
    with pytest.raises(BadInput, match="no current belief"):
        await db.write(beliefs.withdraw, PRODUCT, prop, None, T0 + timedelta(hours=2))


async def test_concurrent_withdrawals_append_exactly_one(db: Database) -> None:
    [prop] = await _propositions(db, 1)
    await db.write(beliefs.state, PRODUCT, _belief(prop, 0.7), T0)
    later = T0 + timedelta(hours=1)
    outcomes = await asyncio.gather(
        *(db.write(beliefs.withdraw, PRODUCT, prop, None, later) for _ in range(6)),
        return_exceptions=True,
    )
    withdrawals = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, BadInput)]
    assert len(withdrawals) == 1 and len(refused) == 5
    [history] = await db.read(beliefs.histories, [(prop, None, later)])
    assert [b.withdrawn for b in history] == [False, True]


async def test_only_facilitators_and_admins_name_another_function(db: Database) -> None:
    [prop] = await _propositions(db, 1)
    with pytest.raises(Forbidden):
        await db.write(beliefs.state, PRODUCT, _belief(prop, 0.4, function="sales"), T0)
    viewer = Actor(member_id="mem-v", name="V", function="sales", role=Role.VIEWER)
    with pytest.raises(Forbidden):
        await db.write(beliefs.state, viewer, _belief(prop, 0.4), T0)
    facilitator = Actor(member_id="mem-f", name="F", function="design", role=Role.FACILITATOR)
    belief, created = await db.write(
        beliefs.state, facilitator, _belief(prop, 0.4, function="sales"), T0
    )
    assert created and belief.function == "sales" and belief.stated_by == "mem-f"
    with pytest.raises(NotFound):
        await db.write(beliefs.state, facilitator, _belief(prop, 0.4, function="legal"), T0)
    with pytest.raises(NotFound):
        await db.write(beliefs.state, PRODUCT, _belief("prop-missing", 0.4), T0)
    [history] = await db.read(beliefs.histories, [(prop, None, T0)])
    assert [(b.function, b.seq) for b in history] == [("sales", 1)]
