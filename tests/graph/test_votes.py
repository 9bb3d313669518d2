"""Blind votes against a real Neo4j: secrecy before the reveal, medians at the reveal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from graph import beliefs, votes
from graph.kit.connection import Database, fetch_one
from schema.errors import BadInput, Conflict, Forbidden, NotFound
from schema.models import Actor, BeliefCreate
from schema.vocabulary import Role
from schema.votes import BallotCast, VoteOpen, VoteStatus
from tests.factories import make_caller, small_model

SYSTEM = Actor.system()


def now() -> datetime:
    return datetime.now(UTC)


async def two_propositions(db: Database) -> tuple[str, str, str]:
    """A segment with a pain and a goal; returns (segment id, EXPERIENCES id, PURSUES id)."""
    model = await small_model(
        db,
        segment="Mid-market ops",
        account=None,
        pains=["Slow onboarding"],
        goals=["Weekly KPI report"],
    )
    return model.segment_id, model.experiences[0], model.pursues[0]


async def actor(db: Database, function: str, role: Role = Role.CONTRIBUTOR) -> Actor:
    return (await make_caller(db, function, role)).actor


async def cast(
    db: Database, who: Actor, vote_id: str, proposition_id: str, p: float, magnitude: int | None
) -> None:
    await db.write(
        votes.cast_ballots,
        who,
        vote_id,
        [BallotCast(proposition_id=proposition_id, p=p, magnitude=magnitude)],
        now(),
    )


async def test_ballots_stay_secret_until_the_reveal_states_each_functions_median(
    db: Database,
) -> None:
    segment, pain, goal = await two_propositions(db)
    facilitator = await actor(db, "design", Role.FACILITATOR)
    product_a, product_b, product_c = [await actor(db, "product") for _ in range(3)]
    sales = await actor(db, "sales")
    vote = await db.write(
        votes.open_vote,
        facilitator,
        VoteOpen(proposition_ids=[pain, goal], label="Q4 workshop", segment_id=segment),
        now(),
    )
    assert vote.status is VoteStatus.OPEN and vote.proposition_ids == [pain, goal]

    await cast(db, product_a, vote.id, pain, 0.9, 5)
    await cast(db, product_b, vote.id, pain, 0.3, 2)
    await cast(db, product_c, vote.id, pain, 0.7, 3)
    await cast(db, sales, vote.id, pain, 0.1, None)

    # Before the reveal each member sees their own ballot and only counts of the others.
    seen_by_sales = await db.read(votes.view, vote.id, sales)
    assert [(b.proposition_id, b.p) for b in seen_by_sales.my_ballots] == [(pain, 0.1)]
    assert {(c.function, c.ballots) for c in seen_by_sales.progress} == {
        ("product", 3),
        ("sales", 1),
    }
    assert seen_by_sales.participants == 4 and seen_by_sales.results == []
    seen_by_facilitator = await db.read(votes.view, vote.id, facilitator)
    assert seen_by_facilitator.my_ballots == []
    # Nothing is stated before the reveal.
    assert await db.read(beliefs.current, [pain], now()) == []
    await db.write(
        beliefs.state,
        facilitator,
        BeliefCreate(proposition_id=pain, p=0.4, function="product"),
        now(),
    )

    results = await db.write(votes.reveal, facilitator, vote.id, now())
    by_function = {r.function: r for r in results}
    # One sales ballot is fewer than the vote's minimum of two: sales' belief is not stated.
    assert vote.min_ballots == 2 and set(by_function) == {"product"}
    product = by_function["product"]
    assert (product.p, product.magnitude, product.count) == (0.7, 3, 3)
    assert product.spread == pytest.approx(0.6)
    assert product.previous_p == 0.4  # before → after: 0.4 → 0.7

    current = {b.function: b for b in await db.read(beliefs.current, [pain, goal], now())}
    assert set(current) == {"product"}  # nobody voted on the goal; sales was short
    assert current["product"].p == 0.7 and current["product"].vote_id == vote.id
    assert current["product"].stated_by == facilitator.member_id
    assert current["product"].rationale == (
        "Blind vote Q4 workshop: median of 3 ballots (spread 0.60)"
    )
    revealed = await db.read(votes.view, vote.id, sales)
    assert revealed.vote.status is VoteStatus.REVEALED
    assert len(revealed.results) == 1
    on_pain = await db.read(votes.results_for_proposition, pain)
    assert {(label, r.function) for _, label, _, r in on_pain} == {("Q4 workshop", "product")}


async def test_a_participant_changes_their_ballot_until_the_reveal_and_not_after(
    db: Database,
) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await actor(db, "leadership", Role.FACILITATOR)
    member = await actor(db, "success")
    vote = await db.write(
        votes.open_vote, facilitator, VoteOpen(proposition_ids=[pain], min_ballots=1), now()
    )
    await cast(db, member, vote.id, pain, 0.3, 2)
    await cast(db, member, vote.id, pain, 0.9, 4)
    mine = await db.read(votes.my_ballots, vote.id, member.member_id)
    assert [(b.p, b.magnitude) for b in mine] == [(0.9, 4)]
    row = await db.read(fetch_one, "MATCH (b:Ballot) RETURN count(b) AS n")
    assert row == {"n": 1}

    await db.write(votes.reveal, facilitator, vote.id, now())
    with pytest.raises(Conflict):
        await cast(db, member, vote.id, pain, 0.1, 1)
    mine = await db.read(votes.my_ballots, vote.id, member.member_id)
    assert [(b.p, b.magnitude) for b in mine] == [(0.9, 4)]
    [stated] = await db.read(beliefs.current, [pain], now())
    assert (stated.function, stated.p, stated.magnitude) == ("success", 0.9, 4)


async def test_revealing_twice_states_nothing_new(db: Database) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await actor(db, "design", Role.FACILITATOR)
    member = await actor(db, "marketing")
    vote = await db.write(
        votes.open_vote, facilitator, VoteOpen(proposition_ids=[pain], min_ballots=1), now()
    )
    await cast(db, member, vote.id, pain, 0.7, 3)
    first = await db.write(votes.reveal, facilitator, vote.id, now())
    again = await db.write(votes.reveal, facilitator, vote.id, now())
    assert first == again
    history = await db.read(beliefs.history, pain, now())
    assert len(history) == 1


async def test_roles_and_bad_ballots_are_refused_and_change_nothing(db: Database) -> None:
    _, pain, goal = await two_propositions(db)
    facilitator = await actor(db, "design", Role.FACILITATOR)
    contributor = await actor(db, "product")
    viewer = await actor(db, "sales", Role.VIEWER)
    with pytest.raises(Forbidden):
        await db.write(votes.open_vote, contributor, VoteOpen(proposition_ids=[pain]), now())
    with pytest.raises(NotFound):
        await db.write(votes.open_vote, facilitator, VoteOpen(proposition_ids=["prop-nope"]), now())
    vote = await db.write(votes.open_vote, facilitator, VoteOpen(proposition_ids=[pain]), now())
    with pytest.raises(Forbidden):
        await cast(db, viewer, vote.id, pain, 0.5, 3)
    with pytest.raises(BadInput):
        await cast(db, contributor, vote.id, goal, 0.5, 3)  # not part of this vote
    with pytest.raises(NotFound):
        await cast(db, contributor, "vote-nope", pain, 0.5, 3)
    with pytest.raises(Forbidden):
        await db.write(votes.reveal, contributor, vote.id, now())
    row = await db.read(fetch_one, "MATCH (b:Ballot) RETURN count(b) AS n")
    assert row == {"n": 0}
    cancelled = await db.write(votes.cancel, facilitator, vote.id, now())
    assert cancelled.status is VoteStatus.CANCELLED
    with pytest.raises(Conflict):
        await db.write(votes.reveal, facilitator, vote.id, now())
    assert await db.read(beliefs.current, [pain], now()) == []


async def test_opening_with_one_idempotency_key_makes_one_vote(db: Database) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await actor(db, "design", Role.FACILITATOR)
    data = VoteOpen(proposition_ids=[pain], label="retry me")
    opened = await asyncio.gather(
        *[
            db.write(votes.open_vote, facilitator, data, now(), idempotency_key="k-1")
            for _ in range(4)
        ]
    )
    assert len({v.id for v in opened}) == 1
    assert len(await db.read(votes.list_votes)) == 1


async def test_every_ballot_accepted_before_a_concurrent_reveal_is_counted(db: Database) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await actor(db, "design", Role.FACILITATOR)
    voters = [await actor(db, "product") for _ in range(6)]
    # Even a single accepted ballot is stated here: this is about counting, not the minimum.
    vote = await db.write(
        votes.open_vote, facilitator, VoteOpen(proposition_ids=[pain], min_ballots=1), now()
    )

    async def try_cast(who: Actor) -> bool:
        try:
            await cast(db, who, vote.id, pain, 0.5, 3)
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(
        *[try_cast(v) for v in voters[:3]],
        db.write(votes.reveal, facilitator, vote.id, now()),
        *[try_cast(v) for v in voters[3:]],
    )
    accepted = sum(1 for o in outcomes if o is True)
    stated = await db.read(votes.results, vote.id)
    counted = stated[0].count if stated else 0
    assert counted == accepted


def test_median_outcome_of_an_even_number_of_ballots() -> None:
    assert votes.median_outcome([0.3, 0.7], [2, 3]) == (0.5, 2.5, 3, 0.4)
    assert votes.median_outcome([0.1, 0.3, 0.9], [None, None, None]) == (0.3, None, None, 0.8)


async def test_live_pages_see_a_ballot_and_a_model_write_as_changes(db: Database) -> None:
    _, pain, _ = await two_propositions(db)
    facilitator = await actor(db, "design", Role.FACILITATOR)
    member = await actor(db, "product")
    vote = await db.write(votes.open_vote, facilitator, VoteOpen(proposition_ids=[pain]), now())
    before = await db.read(votes.change_stamps)
    await cast(db, member, vote.id, pain, 0.5, 3)
    after_ballot = await db.read(votes.change_stamps)
    assert after_ballot["votes"] != before["votes"]
    assert after_ballot["model"] == before["model"]  # a ballot reveals nothing of the model
    await db.write(votes.reveal, facilitator, vote.id, now())
    after_reveal = await db.read(votes.change_stamps)
    assert after_reveal["model"] != after_ballot["model"]
