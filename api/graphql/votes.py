"""Blind votes in GraphQL, for tools (the workshop page uses the REST endpoints).

A vote is always seen as the caller may see it: progress counts for everyone, the caller's
own ballots, and each function's outcome once revealed; never another member's ballot.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.errors import check_idempotency_key, validated
from api.graphql.shapes import Row, row_type
from graph import votes as votes_repo
from schema import votes as vote_models
from schema.votes import VoteStatus

strawberry.enum(VoteStatus, description="Where a blind vote stands.")

MAX_VOTES_PAGE = 20  # each vote is read as the caller sees it: a few queries apiece


# The row types are derived from the pydantic models (fields, order, descriptions); only the
# ids are spelled out, as GraphQL IDs.


@row_type(
    vote_models.Ballot,
    all_fields=True,
    description="Your own answer on one proposition of a vote (nobody else sees it).",
)
class Ballot(Row):
    proposition_id: strawberry.ID


@row_type(
    vote_models.BallotCount,
    all_fields=True,
    description="How many ballots a function has cast on a proposition so far.",
)
class BallotCount(Row):
    proposition_id: strawberry.ID


@row_type(
    vote_models.VoteResult,
    all_fields=True,
    description="One function's outcome at the reveal: the median of its ballots, stated as "
    "its belief.",
)
class VoteResult(Row):
    proposition_id: strawberry.ID
    belief_id: strawberry.ID


@strawberry.type(description="A workshop's blind vote, as the caller may see it.")
class Vote:
    id: strawberry.ID
    label: str
    segment_id: strawberry.ID | None
    proposition_ids: list[strawberry.ID]
    status: VoteStatus
    opened_at: datetime
    opened_by_name: str
    updated_at: datetime
    closed_at: datetime | None = strawberry.field(description="When it was revealed or cancelled.")
    min_ballots: int = strawberry.field(
        description="Ballots a function needs on a proposition before the reveal states its "
        "belief; with fewer, the function keeps the belief it held."
    )
    progress: list[BallotCount] = strawberry.field(
        description="Ballots per function and proposition: the room's progress, not the answers."
    )
    participants: int = strawberry.field(description="Members who have cast at least one ballot.")
    my_ballots: list[Ballot] = strawberry.field(description="The caller's own ballots.")
    results: list[VoteResult] = strawberry.field(description="Empty until the reveal.")

    @classmethod
    def from_view(cls, view: vote_models.VoteView) -> Vote:
        v = view.vote
        return cls(
            id=strawberry.ID(v.id),
            label=v.label,
            segment_id=strawberry.ID(v.segment_id) if v.segment_id else None,
            proposition_ids=[strawberry.ID(p) for p in v.proposition_ids],
            status=v.status,
            opened_at=v.opened_at,
            opened_by_name=v.opened_by_name,
            updated_at=v.updated_at,
            closed_at=v.closed_at,
            min_ballots=v.min_ballots,
            progress=[BallotCount.from_model(c) for c in view.progress],
            participants=view.participants,
            my_ballots=[Ballot.from_model(b) for b in view.my_ballots],
            results=[VoteResult.from_model(r) for r in view.results],
        )


@strawberry.input(description="A blind vote to open. Send an idempotencyKey so a retry opens one.")
class OpenVoteInput:
    proposition_ids: list[strawberry.ID] = strawberry.field(
        description="The propositions to vote on (1-30)."
    )
    label: str | None = strawberry.field(default=None, description="A name the room will see.")
    segment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The segment the vote is about, if any."
    )
    min_ballots: int = strawberry.field(
        default=vote_models.DEFAULT_MIN_BALLOTS,
        description="Ballots a function needs on a proposition before the reveal states its "
        f"belief (1-{vote_models.MAX_MIN_BALLOTS}).",
    )
    idempotency_key: str | None = None


async def _view(info: Info[Context, None], vote_id: str) -> Vote:
    ctx = info.context
    return Vote.from_view(await ctx.read(votes_repo.view, vote_id, ctx.actor))


@strawberry.type
class VoteQuery:
    @strawberry.field(description="One blind vote, as you may see it.")
    async def vote(self, info: Info[Context, None], id: strawberry.ID) -> Vote | None:
        ctx = info.context
        found = await ctx.read(votes_repo.get, str(id))
        return None if found is None else await _view(info, found.id)

    @strawberry.field(description="Recent blind votes, newest first.")
    async def votes(
        self,
        info: Info[Context, None],
        segment_id: strawberry.ID | None = None,
        status: VoteStatus | None = None,
        first: int = 20,
    ) -> list[Vote]:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        limit = max(1, min(first, MAX_VOTES_PAGE))
        found = await ctx.read(
            votes_repo.list_votes,
            segment_id=None if segment_id is None else str(segment_id),
            status=status,
            limit=limit,
        )
        return [await _view(info, v.id) for v in found]


@strawberry.type
class VoteMutation:
    @strawberry.mutation(description="Open a blind vote on some propositions (facilitators).")
    async def open_vote(self, info: Info[Context, None], input: OpenVoteInput) -> Vote:
        ctx = info.context
        actor = ctx.writer()
        # Longer keys do not fit the uniqueness index the vote is MERGEd on.
        check_idempotency_key(input.idempotency_key)
        data = validated(
            lambda: vote_models.VoteOpen(
                proposition_ids=[str(p) for p in input.proposition_ids],
                label=input.label,
                segment_id=None if input.segment_id is None else str(input.segment_id),
                min_ballots=input.min_ballots,
            )
        )
        vote = await ctx.write(
            votes_repo.open_vote, actor, data, ctx.now, idempotency_key=input.idempotency_key
        )
        return await _view(info, vote.id)

    @strawberry.mutation(
        description="Cast or change your ballot on one proposition of an open vote, for your "
        "own function. Nobody sees it before the reveal."
    )
    async def cast_ballot(
        self,
        info: Info[Context, None],
        vote_id: strawberry.ID,
        proposition_id: strawberry.ID,
        p: float,
        magnitude: int | None = None,
    ) -> Vote:
        ctx = info.context
        actor = ctx.writer()
        ballot = validated(
            lambda: vote_models.BallotCast(
                proposition_id=str(proposition_id), p=p, magnitude=magnitude
            )
        )
        await ctx.write(votes_repo.cast_ballots, actor, str(vote_id), [ballot], ctx.now)
        return await _view(info, str(vote_id))

    @strawberry.mutation(
        description="Reveal a vote (facilitators): each function's median becomes its belief."
    )
    async def reveal_vote(self, info: Info[Context, None], id: strawberry.ID) -> Vote:
        ctx = info.context
        await ctx.write(votes_repo.reveal, ctx.writer(), str(id), ctx.now)
        return await _view(info, str(id))

    @strawberry.mutation(description="Close an open vote without stating anything (facilitators).")
    async def cancel_vote(self, info: Info[Context, None], id: strawberry.ID) -> Vote:
        ctx = info.context
        await ctx.write(votes_repo.cancel, ctx.writer(), str(id), ctx.now)
        return await _view(info, str(id))
