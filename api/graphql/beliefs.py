"""Beliefs in GraphQL: a function's stated stance on a proposition, append-only.

Members state beliefs for their own function; facilitators and admins may name another.
The ``Belief`` type is in ``nodes.py``, beside the proposition it is about.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import validated
from api.graphql.nodes import Belief, belief_history_of
from graph import beliefs as beliefs_repo
from schema import models
from schema.propositions import PropositionNotFound


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
            raise PropositionNotFound(str(proposition_id))
        return await belief_history_of(ctx, found.id, function, as_of)


@strawberry.type
class BeliefMutation:
    @strawberry.mutation(
        description="State a belief (p in [0, 1], magnitude 1-5) for the caller's function, or "
        "for another when a facilitator or admin names it. Appended, never overwritten."
    )
    async def state_belief(self, info: Info[Context, None], input: StateBeliefInput) -> Belief:
        ctx = info.context
        actor = ctx.writer()
        data = validated(lambda: models.BeliefCreate(**dataclasses.asdict(input)))
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
