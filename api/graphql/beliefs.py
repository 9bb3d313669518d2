"""Beliefs in GraphQL: a function's stated stance on a proposition, append-only.

Members state beliefs for their own function; facilitators and admins may name another.
Nested belief fields load through per-request DataLoaders (one query per field per page).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.errors import validated
from api.graphql.types import Member, Proposition
from graph import beliefs as beliefs_repo
from schema import models
from schema.errors import NotFound


@strawberry.type(
    description="A function's stated stance on a proposition. Append-only: the current belief "
    "is the one with the highest sequence number; a withdrawal is appended like a statement."
)
class Belief:
    id: strawberry.ID = strawberry.field(description="The statement's stable id (bel-...).")
    function: str = strawberry.field(description="The function (team) whose belief this is.")
    seq: int = strawberry.field(
        description="Its place in the (function, proposition) history: 1, 2, 3, ... with no gaps."
    )
    p: float | None = strawberry.field(
        description="The probability, in [0, 1], that the proposition holds; null for a withdrawal."
    )
    magnitude: int | None = strawberry.field(
        description="How much it matters, 1-5 (importance, severity, ... by relation)."
    )
    rationale: str | None = strawberry.field(description="Why the function believes it.")
    withdrawn: bool = strawberry.field(
        description="True for a withdrawal: from then on the function holds no belief here."
    )
    stated_at: datetime = strawberry.field(description="When it was stated.")
    stated_by_id: strawberry.ID = strawberry.field(
        description="The id of the member who stated it ('system' for seeding and the CLI)."
    )
    vote_id: str | None = strawberry.field(
        description="The workshop vote it came from, if it is a vote's outcome."
    )
    proposition_id: strawberry.Private[str]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field(description="The proposition it is about.")
    async def proposition(self, info: Info[Context, None]) -> Proposition:
        found = await info.context.proposition_loader.load(self.proposition_id)
        if found is None:
            raise NotFound("proposition", self.proposition_id)
        return Proposition.from_model(found, self.as_of)

    @strawberry.field(description="The member who stated it; null for system writes.")
    async def stated_by(self, info: Info[Context, None]) -> Member | None:
        found = await loaders.member_loader(info.context).load(str(self.stated_by_id))
        return None if found is None else Member.from_model(found)

    @classmethod
    def from_model(cls, b: models.Belief, as_of: datetime | None = None) -> Belief:
        return cls(
            id=strawberry.ID(b.id),
            function=b.function,
            seq=b.seq,
            p=b.p,
            magnitude=b.magnitude,
            rationale=b.rationale,
            withdrawn=b.withdrawn,
            stated_at=b.stated_at,
            stated_by_id=strawberry.ID(b.stated_by),
            vote_id=b.vote_id,
            proposition_id=b.proposition_id,
            as_of=as_of,
        )


async def current_beliefs_of(
    info: Info[Context, None], proposition_id: str, as_of: datetime | None
) -> list[Belief]:
    """``Proposition.beliefs``: one query for every proposition of the page."""
    when = as_of or info.context.now
    found = await loaders.current_beliefs_loader(info.context).load((proposition_id, when))
    return [Belief.from_model(b, when) for b in found]


async def belief_history_of(
    info: Info[Context, None],
    proposition_id: str,
    function: str | None,
    as_of: datetime | None,
) -> list[Belief]:
    """``Proposition.beliefHistory``: one query for every proposition of the page."""
    when = as_of or info.context.now
    found = await loaders.belief_history_loader(info.context).load((proposition_id, function, when))
    return [Belief.from_model(b, when) for b in found]


@strawberry.input(
    description="A belief to state. Send an idempotencyKey so a retried statement is a no-op."
)
class StateBeliefInput:
    proposition_id: strawberry.ID = strawberry.field(description="The proposition it is about.")
    p: float = strawberry.field(description="The probability, in [0, 1], that it holds.")
    magnitude: int | None = strawberry.field(default=None, description="How much it matters, 1-5.")
    rationale: str | None = strawberry.field(default=None, description="Why.")
    function: str | None = strawberry.field(
        default=None,
        description="The function it is for: default the caller's; only facilitators and "
        "admins may name another.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key unique to this statement: a retry returns the first."
    )


@strawberry.type
class BeliefQuery:
    @strawberry.field(
        description="The belief history of a proposition up to asOf (default now): every "
        "statement and withdrawal, by function then sequence number; one function's if named."
    )
    async def beliefs(
        self,
        info: Info[Context, None],
        proposition_id: strawberry.ID,
        function: str | None = None,
        as_of: datetime | None = None,
    ) -> list[Belief]:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        found = await ctx.proposition_loader.load(str(proposition_id))
        if found is None:
            raise NotFound("proposition", str(proposition_id))
        return await belief_history_of(info, found.id, function, as_of)


@strawberry.type
class BeliefMutation:
    @strawberry.mutation(
        description="State a belief (p in [0, 1], magnitude 1-5) for the caller's function, or "
        "for another when a facilitator or admin names it. Appended, never overwritten."
    )
    async def state_belief(self, info: Info[Context, None], input: StateBeliefInput) -> Belief:
        ctx = info.context
        actor = ctx.writer()
        data = validated(
            lambda: models.BeliefCreate(
                proposition_id=str(input.proposition_id),
                p=input.p,
                magnitude=input.magnitude,
                rationale=input.rationale,
                function=input.function,
                idempotency_key=input.idempotency_key,
            )
        )
        belief, _ = await ctx.write(beliefs_repo.state, actor, data, ctx.now)
        return Belief.from_model(belief)

    @strawberry.mutation(
        description="Withdraw a function's current belief (the caller's function unless a "
        "facilitator or admin names another): appends a withdrawal; the history stays."
    )
    async def withdraw_belief(
        self,
        info: Info[Context, None],
        proposition_id: strawberry.ID,
        function: str | None = None,
    ) -> Belief:
        ctx = info.context
        actor = ctx.writer()
        belief = await ctx.write(
            beliefs_repo.withdraw, actor, str(proposition_id), function, ctx.now
        )
        return Belief.from_model(belief)
