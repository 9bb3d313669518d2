"""Evidence and support in GraphQL: the types, the listings and the writes.

Support figures come from one aggregation query per request (``loaders.support_loader``);
a proposition's evidence pages come from one query per nested field, whatever the number
of propositions on the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from neo4j import AsyncManagedTransaction
from strawberry.types import Info

from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.errors import validated
from api.graphql.types import Entity, Member, PageInfo, Proposition, Stance, SupportStatus
from graph import evidence as evidence_repo
from graph.kit.cursors import check_page_size, decode_cursor, encode_cursor
from graph.support import Support as SupportFigures
from schema import models
from schema.errors import BadInput, NotFound
from schema.settings import Settings
from schema.vocabulary import SOURCE_TYPES

DEFAULT_PAGE = 20


def pin_listing(
    as_of: datetime | None, after: str | None, now: datetime
) -> tuple[datetime, list[Any] | None]:
    """A listing's as-of time: the cursor's when paging on, else the one asked, else now."""
    if after is None:
        return as_of or now, None
    cursor = decode_cursor(after)
    return cursor.as_of, cursor.after


def evidence_position(key: list[Any] | None) -> tuple[datetime, str] | None:
    """The (observed_at, id) an evidence cursor continues after."""
    if key is None:
        return None
    try:
        observed, item_id = key
        return datetime.fromisoformat(str(observed)), str(item_id)
    except (ValueError, TypeError) as error:
        raise BadInput("the `after` cursor is not one this API issued") from error


@strawberry.type(
    description="What the evidence says about one proposition as of a time (DESIGN.md §2): "
    "weights are reliability x strength x 0.5^(age/half-life), items of one account combined "
    "by noisy-OR, and the posterior is Beta(1 + S, 1 + C). A proposition that does not exist "
    "at that time (not yet created, or retired) gets the figures of no evidence."
)
class Support:
    support: float = strawberry.field(
        description="Posterior mean (1 + S) / (2 + S + C): the share of evidence in favour."
    )
    low: float = strawberry.field(description="Lower end of the equal-tailed credible interval.")
    high: float = strawberry.field(description="Upper end of the equal-tailed credible interval.")
    interval_level: float = strawberry.field(
        description="Probability mass of the credible interval (0.9)."
    )
    confidence: float = strawberry.field(
        description="P(theta > 0.5): the evidence's confidence that the proposition holds."
    )
    status: SupportStatus = strawberry.field(
        description="VALIDATED (confidence >= validatedConfidence), REFUTED (<= "
        "refutedConfidence), CONTESTED (S >= 1 and C >= 1, neither), else UNKNOWN."
    )
    validated_confidence: float = strawberry.field(
        description="The confidence from which a proposition counts as validated (0.95)."
    )
    refuted_confidence: float = strawberry.field(
        description="The confidence up to which a proposition counts as refuted (0.05)."
    )
    half_life_days: float = strawberry.field(
        description="Evidence weight halves every this many days of age."
    )
    supporting_weight: float = strawberry.field(
        description="S: the summed weight of supporting evidence, each account's items "
        "combined by noisy-OR (an account contributes at most 1)."
    )
    contradicting_weight: float = strawberry.field(
        description="C: the same for contradicting evidence."
    )
    evidence_mass: float = strawberry.field(
        description="S + C; belief gaps need at least 1, thinner evidence is assumption debt."
    )
    evidence_count: int = strawberry.field(description="Evidence items that count as of asOf.")
    supporting_count: int = strawberry.field(description="Of those, the supporting items.")
    contradicting_count: int = strawberry.field(description="Of those, the contradicting items.")
    distinct_accounts: int = strawberry.field(description="Distinct accounts the items come from.")
    newest_evidence_at: datetime | None = strawberry.field(
        description="When the newest counting item was observed; null without evidence."
    )
    evidence_ids: list[strawberry.ID] = strawberry.field(
        description="The ids of the counting items, newest first (at most 20)."
    )
    mean_magnitude: float = strawberry.field(
        description="Weighted mean magnitude reported by supporting items; 1 when none does."
    )
    as_of: datetime = strawberry.field(description="The time these figures are computed as of.")

    @classmethod
    def from_figures(cls, figures: SupportFigures, as_of: datetime, settings: Settings) -> Support:
        posterior = figures.posterior
        return cls(
            support=posterior.mean,
            low=posterior.low,
            high=posterior.high,
            interval_level=posterior.level,
            confidence=posterior.confidence,
            status=SupportStatus(posterior.status),
            validated_confidence=settings.validated_confidence,
            refuted_confidence=settings.refuted_confidence,
            half_life_days=settings.half_life_days,
            supporting_weight=figures.supporting,
            contradicting_weight=figures.contradicting,
            evidence_mass=figures.mass,
            evidence_count=figures.evidence_count,
            supporting_count=figures.supporting_count,
            contradicting_count=figures.contradicting_count,
            distinct_accounts=figures.distinct_accounts,
            newest_evidence_at=figures.newest_evidence_at,
            evidence_ids=[strawberry.ID(i) for i in figures.evidence_ids],
            mean_magnitude=figures.mean_magnitude,
            as_of=as_of,
        )


@strawberry.type(description="How one evidence item bears on one proposition.")
class Bearing:
    stance: Stance = strawberry.field(description="Whether the item supports or contradicts.")
    strength: float = strawberry.field(description="How strongly, in (0, 1].")
    magnitude: int | None = strawberry.field(
        description="A magnitude 1-5 the evidence reports (e.g. a survey's importance score)."
    )
    proposition_id: strawberry.Private[str]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field(description="The proposition it bears on.")
    async def proposition(self, info: Info[Context, None]) -> Proposition:
        found = await info.context.proposition_loader.load(self.proposition_id)
        if found is None:
            raise NotFound("proposition", self.proposition_id)
        return Proposition.from_model(found, self.as_of)


@strawberry.type(
    description="An observation from the outside world that supports or contradicts "
    "propositions. Never deleted: retracted (kept, no longer counted from then on) or, for "
    "personal data, redacted by an admin (text removed, weight kept)."
)
class Evidence:
    id: strawberry.ID = strawberry.field(description="The item's stable id (ev-...).")
    source_type: str = strawberry.field(
        description="interview, support_ticket, sales_call, win_loss, survey, analytics, "
        "review, usage or other; its reliability weighs the item."
    )
    summary: str | None = strawberry.field(description="The summary or quote; null once redacted.")
    source_ref: str | None = strawberry.field(
        description="A URL or external id of the source; null once redacted."
    )
    observed_at: datetime = strawberry.field(
        description="When it was observed; its age (and decay) counts from here."
    )
    recorded_at: datetime = strawberry.field(
        description="When it was recorded; it counts from then on."
    )
    function: str | None = strawberry.field(description="The function that recorded it.")
    retracted_at: datetime | None = strawberry.field(
        description="When it was retracted; it stops counting from then on."
    )
    retract_reason: str | None = strawberry.field(description="Why it was retracted.")
    redacted_at: datetime | None = strawberry.field(
        description="When an admin removed its text (personal data)."
    )
    import_id: str | None = strawberry.field(
        description="The bulk import it came with; it counts once that import completed."
    )
    recorded_by_id: strawberry.ID = strawberry.field(
        description="The id of the member who recorded it ('system' for seeding and the CLI)."
    )
    bears: list[Bearing] = strawberry.field(description="The propositions it bears on, and how.")
    account_id: strawberry.Private[str | None]

    @strawberry.field(description="The member who recorded it; null for system writes.")
    async def recorded_by(self, info: Info[Context, None]) -> Member | None:
        found = await loaders.member_loader(info.context).load(str(self.recorded_by_id))
        return None if found is None else Member.from_model(found)

    @strawberry.field(description="The customer account it comes from, if any.")
    async def account(self, info: Info[Context, None]) -> Entity | None:
        if self.account_id is None:
            return None
        found = await info.context.entity_loader.load(self.account_id)
        return None if found is None else Entity.from_model(found)

    @classmethod
    def from_model(cls, e: models.Evidence, as_of: datetime | None = None) -> Evidence:
        return cls(
            id=strawberry.ID(e.id),
            source_type=e.source_type,
            summary=e.summary,
            source_ref=e.source_ref,
            observed_at=e.observed_at,
            recorded_at=e.recorded_at,
            function=e.function,
            retracted_at=e.retracted_at,
            retract_reason=e.retract_reason,
            redacted_at=e.redacted_at,
            import_id=e.import_id,
            recorded_by_id=strawberry.ID(e.recorded_by),
            bears=[
                Bearing(
                    stance=b.stance,
                    strength=b.strength,
                    magnitude=b.magnitude,
                    proposition_id=b.proposition_id,
                    as_of=as_of,
                )
                for b in e.bears
            ],
            account_id=e.account_id,
        )


@strawberry.type(description="One item of a page of evidence.")
class EvidenceEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: Evidence = strawberry.field(description="The evidence item.")


@strawberry.type(description="A page of evidence, newest observation first.")
class EvidenceConnection:
    edges: list[EvidenceEdge] = strawberry.field(description="The items, with cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page ends, and its as-of.")
    total_count: int = strawberry.field(description="How many items match, over all pages.")

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[Evidence]:
        return [edge.node for edge in self.edges]


def evidence_page(
    items: list[models.Evidence], total: int, limit: int, as_of: datetime
) -> EvidenceConnection:
    """A connection from up to ``limit + 1`` items (the extra one says a next page exists)."""
    page = items[:limit]
    edges = [
        EvidenceEdge(
            cursor=encode_cursor(as_of, [e.observed_at.isoformat(), e.id]),
            node=Evidence.from_model(e, as_of),
        )
        for e in page
    ]
    return EvidenceConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(items) > limit,
            end_cursor=edges[-1].cursor if edges else None,
            as_of=as_of,
        ),
        total_count=total,
    )


async def evidence_of_proposition(
    info: Info[Context, None],
    proposition_id: str,
    as_of: datetime | None,
    include_retracted: bool,
    first: int | None,
    after: str | None,
) -> EvidenceConnection:
    """``Proposition.evidence``: one query for every proposition of the page."""
    ctx = info.context
    limit = check_page_size(first, DEFAULT_PAGE, ctx.settings.max_page_size)
    pinned, key = pin_listing(as_of, after, ctx.now)
    items, total = await loaders.evidence_page_loader(ctx).load(
        loaders.EvidencePageKey(
            proposition_id=proposition_id,
            as_of=pinned,
            include_retracted=include_retracted,
            after=evidence_position(key),
            limit=limit + 1,
        )
    )
    return evidence_page(items, total, limit, pinned)


@strawberry.input(description="How one evidence item bears on one proposition.")
class BearingInput:
    proposition_id: strawberry.ID = strawberry.field(description="The proposition it bears on.")
    stance: Stance = strawberry.field(description="Whether it supports or contradicts it.")
    strength: float = strawberry.field(
        default=1.0, description="How strongly the item supports or contradicts, in (0, 1]."
    )
    magnitude: int | None = strawberry.field(
        default=None, description="A magnitude 1-5 the evidence reports, if any."
    )


@strawberry.input(
    description="One evidence item. Send an idempotencyKey so a resent batch writes nothing new."
)
class EvidenceInput:
    source_type: str = strawberry.field(
        description="interview|support_ticket|sales_call|win_loss|survey|analytics|review|"
        "usage|other"
    )
    summary: str = strawberry.field(description="A summary or quote.")
    source_ref: str | None = strawberry.field(
        default=None, description="A URL or external id of the source."
    )
    observed_at: datetime | None = strawberry.field(
        default=None, description="When it was observed (with a time zone); default: now."
    )
    account_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer account it comes from."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key unique to this item: resending it writes nothing."
    )
    bears: list[BearingInput] = strawberry.field(
        description="The propositions it bears on (1-50, each once)."
    )


@strawberry.type(description="The outcome of an addEvidence batch.")
class AddEvidencePayload:
    items: list[Evidence] = strawberry.field(
        description="Every item of the batch, in input order: the new ones and, for an "
        "idempotencyKey seen before, the item first written with it."
    )
    created: int = strawberry.field(description="Items written by this call.")
    already_present: int = strawberry.field(
        description="Items whose idempotencyKey was seen before: nothing was written for them."
    )


def _evidence_create(index: int, item: EvidenceInput) -> models.EvidenceCreate:
    try:
        return validated(
            lambda: models.EvidenceCreate(
                source_type=item.source_type,
                summary=item.summary,
                source_ref=item.source_ref,
                observed_at=item.observed_at,
                account_id=str(item.account_id) if item.account_id else None,
                idempotency_key=item.idempotency_key,
                bears=[
                    models.BearingCreate(
                        proposition_id=str(b.proposition_id),
                        stance=b.stance,
                        strength=b.strength,
                        magnitude=b.magnitude,
                    )
                    for b in item.bears
                ],
            )
        )
    except BadInput as error:
        raise BadInput(f"item {index}: {error.message}", item=index) from None


async def _add_and_read(
    tx: AsyncManagedTransaction,
    actor: models.Actor,
    items: list[models.EvidenceCreate],
    now: datetime,
) -> list[tuple[models.Evidence, bool]]:
    written = await evidence_repo.add(tx, actor, items, now)
    found = await evidence_repo.get_many(tx, [item_id for item_id, _ in written])
    return [(found[item_id], created) for item_id, created in written]


def _check_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > 2000 or "\x00" in reason:
        raise BadInput("a reason of 1-2000 characters is needed")


@strawberry.type
class EvidenceQuery:
    @strawberry.field(description="One evidence item by id (retracted and redacted ones too).")
    async def evidence(self, info: Info[Context, None], id: strawberry.ID) -> Evidence | None:
        info.context.actor  # noqa: B018 - reading needs a token
        found = await loaders.evidence_loader(info.context).load(str(id))
        return None if found is None else Evidence.from_model(found)

    @strawberry.field(
        description="Evidence as of asOf (default now), newest observation first, filtered by "
        "the proposition it bears on, its account and its source type."
    )
    async def evidence_items(
        self,
        info: Info[Context, None],
        proposition_id: strawberry.ID | None = None,
        account_id: strawberry.ID | None = None,
        source_type: str | None = None,
        as_of: datetime | None = None,
        include_retracted: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> EvidenceConnection:
        ctx = info.context
        ctx.actor  # noqa: B018
        limit = check_page_size(first, DEFAULT_PAGE, ctx.settings.max_page_size)
        pinned, key = pin_listing(as_of, after, ctx.now)
        if source_type is not None and source_type not in SOURCE_TYPES:
            raise BadInput(f"sourceType must be one of {', '.join(SOURCE_TYPES)}")
        live_id = None
        if proposition_id is not None:
            found = await ctx.proposition_loader.load(str(proposition_id))
            if found is None:
                raise NotFound("proposition", str(proposition_id))
            live_id = found.id
        items, total = await ctx.read(
            evidence_repo.list_page,
            proposition_id=live_id,
            account_id=str(account_id) if account_id else None,
            source_type=source_type,
            as_of=pinned,
            include_retracted=include_retracted,
            after=evidence_position(key),
            limit=limit + 1,
        )
        return evidence_page(items, total, limit, pinned)


@strawberry.type
class EvidenceMutation:
    @strawberry.mutation(
        description="Add a batch of evidence (at most the configured batch size, 5,000 by "
        "default). Validated whole before anything is written; items whose idempotencyKey was "
        "seen before are returned, not written again."
    )
    async def add_evidence(
        self, info: Info[Context, None], input: list[EvidenceInput]
    ) -> AddEvidencePayload:
        ctx = info.context
        actor = ctx.writer()
        limit = ctx.settings.max_evidence_batch
        if len(input) > limit:
            raise BadInput(
                f"a batch may hold at most {limit} items, this one has {len(input)}; split it "
                "or use the bulk import",
                limit=limit,
                size=len(input),
            )
        items = [_evidence_create(n, item) for n, item in enumerate(input)]
        written = await ctx.write(_add_and_read, actor, items, ctx.now)
        created = sum(1 for _, is_new in written if is_new)
        return AddEvidencePayload(
            items=[Evidence.from_model(e) for e, _ in written],
            created=created,
            already_present=len(written) - created,
        )

    @strawberry.mutation(
        description="Retract an item: it stays, with the reason, and stops counting from now on. "
        "Its own function, a facilitator or an admin may."
    )
    async def retract_evidence(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Evidence:
        ctx = info.context
        actor = ctx.writer()
        _check_reason(reason)
        return Evidence.from_model(
            await ctx.write(evidence_repo.retract, actor, str(id), reason, ctx.now)
        )

    @strawberry.mutation(
        description="Admins only: remove an item's text (personal data). Its weight, stance "
        "and audit entry stay, so support does not change."
    )
    async def redact_evidence(
        self, info: Info[Context, None], id: strawberry.ID, reason: str
    ) -> Evidence:
        ctx = info.context
        actor = ctx.writer()
        _check_reason(reason)
        return Evidence.from_model(
            await ctx.write(evidence_repo.redact, actor, str(id), reason, ctx.now)
        )
