"""Decisions in GraphQL: record one, and list them with whether the evidence still backs them
(docs/design.md §2b)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.errors import check_idempotency_key, validated
from api.graphql.members import Member, member_by_id
from api.graphql.nodes import Evidence, Proposition, proposition_by_id
from api.graphql.pagination import Connection, Edge, described, window
from api.graphql.vocabulary import SupportStatus
from graph import decisions as decisions_repo
from graph.divergence.settings import EngineSettings
from schema import decisions as decision_models

DEFAULT_PAGE = 20


@strawberry.type(
    description="One proposition a decision rests on: what the evidence said when the decision "
    "was made and what it says now, both weighed as of the listing's asOf (so age alone "
    "changes nothing), and why it puts the decision at risk, if it does."
)
class DecisionBasis:
    status_then: SupportStatus = strawberry.field(
        description="The status the evidence visible when the decision was made gives, "
        "weighed as of asOf."
    )
    confidence_then: float = strawberry.field(
        description="The confidence of that evidence, weighed as of asOf."
    )
    status_now: SupportStatus = strawberry.field(
        description="The status the evidence visible at asOf gives."
    )
    confidence_now: float = strawberry.field(description="The confidence of that evidence.")
    status_when_decided: SupportStatus = strawberry.field(
        description="The status recorded with the decision, weighed when it was made."
    )
    confidence_when_decided: float = strawberry.field(
        description="The confidence recorded with the decision, weighed when it was made."
    )
    retired: bool = strawberry.field(description="Retired, or merged into another, by asOf.")
    retired_reason: str | None = strawberry.field(description="Why it was retired.")
    merged_into_id: strawberry.ID | None = strawberry.field(
        description="The proposition it was merged into, by asOf."
    )
    proposition_id: strawberry.ID = strawberry.field(
        description="The proposition as the decision recorded it (`proposition` follows merges)."
    )
    reasons: list[str] = strawberry.field(
        description="Why it puts the decision at risk; empty when it does not."
    )
    moved_by_count: int = strawberry.field(
        description="How many evidence items were recorded or retracted since the decision."
    )
    current_id: strawberry.Private[str]
    moved_by_ids: strawberry.Private[tuple[str, ...]]
    as_of: strawberry.Private[datetime]

    @strawberry.field(description="The proposition, a merged one's survivor.")
    async def proposition(self, info: Info[Context, None]) -> Proposition:
        return await proposition_by_id(info.context, self.current_id, self.as_of)

    @strawberry.field(
        description="The evidence recorded or retracted since the decision, newest change "
        f"first (at most {decision_models.MOVED_BY_LIMIT}; movedByCount counts them all)."
    )
    async def moved_by(self, info: Info[Context, None]) -> list[Evidence]:
        found = await loaders.evidence_loader(info.context).load_many(list(self.moved_by_ids))
        return [Evidence.from_model(e, self.as_of) for e in found if e is not None]

    @classmethod
    def from_check(cls, basis: decision_models.BasisCheck, as_of: datetime) -> DecisionBasis:
        return cls(
            status_then=basis.status_then,
            confidence_then=basis.confidence_then,
            status_now=basis.status_now,
            confidence_now=basis.confidence_now,
            status_when_decided=basis.status_when_decided,
            confidence_when_decided=basis.confidence_when_decided,
            retired=basis.retired,
            retired_reason=basis.retired_reason,
            merged_into_id=strawberry.ID(basis.merged_into) if basis.merged_into else None,
            proposition_id=strawberry.ID(basis.proposition_id),
            reasons=list(basis.reasons),
            moved_by_count=basis.moved_by_count,
            current_id=basis.current_id,
            moved_by_ids=basis.moved_by,
            as_of=as_of,
        )


@strawberry.type(
    description="A recorded decision and whether the evidence still backs it, as of asOf: "
    "at risk when one of its propositions changed status, moved in confidence by the "
    "configured shift (0.25 by default) or more, or was retired or merged since."
)
class Decision:
    id: strawberry.ID
    title: str
    rationale: str | None
    decided_at: datetime = strawberry.field(description="When it was recorded.")
    at_risk: bool = strawberry.field(description="True when any basis gives a reason.")
    basis: list[DecisionBasis] = strawberry.field(
        description="Each proposition it rests on, in the order recorded."
    )
    function: str | None = strawberry.field(description="The function it was recorded as.")
    decided_by_id: strawberry.ID = strawberry.field(
        description="The id of the member who recorded it ('system' for seeding and the CLI)."
    )
    confidence_shift: float = strawberry.field(
        description="The shift of confidence that puts a decision at risk, as configured."
    )

    @strawberry.field(description="The member who recorded it; null for system writes.")
    async def decided_by(self, info: Info[Context, None]) -> Member | None:
        return await member_by_id(info.context, str(self.decided_by_id))

    @classmethod
    def from_check(cls, check: decision_models.DecisionCheck) -> Decision:
        d = check.decision
        return cls(
            id=strawberry.ID(d.id),
            title=d.title,
            rationale=d.rationale,
            decided_at=d.decided_at,
            at_risk=check.at_risk,
            basis=[DecisionBasis.from_check(b, check.as_of) for b in check.basis],
            function=d.function,
            decided_by_id=strawberry.ID(d.decided_by),
            confidence_shift=check.confidence_shift,
        )


@described(
    "One decision of a page.",
    cursor="Pass as `after` to continue after this decision.",
    node="The decision.",
)
class DecisionEdge(Edge[Decision]):
    pass


@described(
    "A page of decisions, newest first, each checked as of the listing's asOf.",
    edges="The decisions, with cursors.",
    page_info="Where this page ends, and its as-of.",
    total_count="How many decisions match, over all pages.",
    nodes="The decisions of this page, without cursors.",
)
class DecisionConnection(Connection[Decision]):
    edges: Sequence[DecisionEdge]


@strawberry.input(
    description="A decision to record. Send an idempotencyKey so a retry records it once "
    "(keys are each function's own)."
)
class RecordDecisionInput:
    title: str = strawberry.field(description="What was decided (1-500 characters).")
    rationale: str | None = strawberry.field(default=None, description="Why.")
    proposition_ids: list[strawberry.ID] = strawberry.field(
        description="The propositions it rests on "
        f"(1-{decision_models.MAX_DECISION_PROPOSITIONS}; a merged id means its survivor)."
    )
    idempotency_key: str | None = None


def _engine(ctx: Context) -> EngineSettings:
    return EngineSettings.from_settings(ctx.settings)


@strawberry.type
class DecisionQuery:
    @strawberry.field(
        description="Recorded decisions, newest first, each checked as of asOf (default now): "
        "the evidence visible when it was made and the evidence visible at asOf, both "
        "weighed at asOf. atRisk: true lists only those at risk, false only the others."
    )
    async def decisions(
        self,
        info: Info[Context, None],
        at_risk: bool | None = None,
        as_of: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> DecisionConnection:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        page = window(ctx, first, DEFAULT_PAGE, as_of, after)
        checks = await ctx.read(
            decisions_repo.checked_as_of, _engine(ctx), as_of=page.as_of, at_risk=at_risk
        )
        return DecisionConnection.of_computed(
            checks,
            page,
            listing="decisions" if at_risk is None else f"decisions:{at_risk}",
            identity=lambda c: [c.decision.id],
            node=Decision.from_check,
        )


@strawberry.type
class DecisionMutation:
    @strawberry.mutation(
        description="Record a decision and the propositions it rests on (contributors, "
        "facilitators and admins), with what the evidence says of each now."
    )
    async def record_decision(
        self, info: Info[Context, None], input: RecordDecisionInput
    ) -> Decision:
        ctx = info.context
        actor = ctx.writer()
        check_idempotency_key(input.idempotency_key)
        data = validated(
            lambda: decision_models.DecisionCreate(
                title=input.title,
                rationale=input.rationale,
                proposition_ids=[str(p) for p in input.proposition_ids],
                idempotency_key=input.idempotency_key,
            )
        )
        engine = _engine(ctx)
        decision, _ = await ctx.write(decisions_repo.record, actor, data, ctx.now, engine)
        [check] = await ctx.read(decisions_repo.check, engine, [decision], as_of=ctx.now)
        return Decision.from_check(check)
