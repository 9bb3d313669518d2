"""The node types that point at one another: a proposition, its evidence and its beliefs.

A proposition lists the evidence bearing on it and each function's beliefs about it, and
every bearing and belief names its proposition back: each type builds the others, so they
share this module. The queries and mutations of each concept are in their own modules.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from analytics.information import InformationValue, information_value, next_item_weight
from api.graphql import loaders
from api.graphql.context import Context
from api.graphql.entities import Entity, entity_by_id
from api.graphql.members import Member, member_by_id
from api.graphql.mirrored import mirrored
from api.graphql.pagination import Connection, Edge, described, time_position, window
from api.graphql.shapes import MEMBER_IDS, renamed
from api.graphql.support import Support
from api.graphql.vocabulary import Relation, Stance, SupportStatus
from graph import evidence as evidence_repo
from graph.support import Support as SupportFigures
from schema import models
from schema.propositions import PropositionNotFound

EVIDENCE_PAGE = 20


@strawberry.type(
    description="One statement about the customer or the product, (subject)-[relation]->"
    "(object). The same triple is always the same proposition."
)
class Proposition:
    id: strawberry.ID
    relation: Relation
    created_at: datetime
    created_by_id: strawberry.ID = strawberry.field(
        description="The id of the member who created it ('system' for seeding and the CLI)."
    )
    created_by: str = renamed(
        "createdById", MEMBER_IDS, description="The id of the member who created it."
    )
    retired_at: datetime | None
    retired_reason: str | None
    subject_id: strawberry.Private[str]
    object_id: strawberry.Private[str]
    # The as-of time of the listing this proposition came from; its figures use it too.
    as_of: strawberry.Private[datetime | None] = None

    @strawberry.field(description="The subject entity.")
    async def subject(self, info: Info[Context, None]) -> Entity:
        found = await entity_by_id(info.context, self.subject_id)
        assert found is not None
        return found

    @strawberry.field(name="object", description="The object entity.")
    async def object_(self, info: Info[Context, None]) -> Entity:
        found = await entity_by_id(info.context, self.object_id)
        assert found is not None
        return found

    @strawberry.field(
        description="A readable sentence: 'Mid-market ops EXPERIENCES Manual reporting'."
    )
    async def text(self, info: Info[Context, None]) -> str:
        # Both in one batch: loading them one after the other would cost a second query.
        subject, obj = await info.context.entity_loader.load_many([self.subject_id, self.object_id])
        return " ".join(
            [subject.name if subject else "?", self.relation.value, obj.name if obj else "?"]
        )

    @strawberry.field(
        description="The evidence's posterior mean, (1 + S) / (2 + S + C): the share of "
        "evidence in favour. As of the listing's asOf, else now; see evidenceSupport."
    )
    async def support(self, info: Info[Context, None]) -> float:
        return (await self._support(info, None)).support

    @strawberry.field(
        description="P(theta > 0.5) under Beta(1 + S, 1 + C): the evidence's confidence that "
        "the proposition holds. As of the listing's asOf, else now."
    )
    async def confidence(self, info: Info[Context, None]) -> float:
        return (await self._support(info, None)).confidence

    @strawberry.field(description="What the evidence says, as of the listing's asOf, else now.")
    async def status(self, info: Info[Context, None]) -> SupportStatus:
        return SupportStatus((await self._support(info, None)).posterior.status)

    @strawberry.field(
        description="Value of information (docs/design.md §2b): the expected shift of "
        "confidence from one more interview at full strength, which supports the proposition "
        "with probability the posterior mean. As of the listing's asOf, else now."
    )
    async def value_of_information(self, info: Info[Context, None]) -> float:
        return (await self._information(info)).value_of_information

    @strawberry.field(
        description="The fewest interviews, all supporting, that would make it VALIDATED: 0 "
        "when it is; null above 1,000. As of the listing's asOf, else now."
    )
    async def items_to_validate(self, info: Info[Context, None]) -> int | None:
        return (await self._information(info)).items_to_validate

    @strawberry.field(
        description="The fewest interviews, all contradicting, that would make it REFUTED: 0 "
        "when it is; null above 1,000. As of the listing's asOf, else now."
    )
    async def items_to_refute(self, info: Info[Context, None]) -> int | None:
        return (await self._information(info)).items_to_refute

    async def _information(self, info: Info[Context, None]) -> InformationValue:
        figures = await self._support(info, None)
        settings = info.context.settings
        return information_value(
            figures.supporting,
            figures.contradicting,
            next_item_weight(settings.reliability),
            validated_at=settings.validated_confidence,
            refuted_at=settings.refuted_confidence,
        )

    @strawberry.field(
        description="Every support figure: S, C, the 90% credible interval, counts, accounts "
        "and the newest evidence, as of asOf (default: the listing's asOf, else now)."
    )
    async def evidence_support(
        self, info: Info[Context, None], as_of: datetime | None = None
    ) -> Support:
        when = as_of or self.as_of or info.context.now
        return Support.from_figures(await self._support(info, when), when, info.context.settings)

    @strawberry.field(
        description="The evidence bearing on this proposition, newest observation first, as "
        "of asOf (default: the listing's asOf, else now); retracted items only when asked."
    )
    async def evidence(
        self,
        info: Info[Context, None],
        as_of: datetime | None = None,
        include_retracted: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> EvidenceConnection:
        # One query for the evidence of every proposition of the page (a DataLoader).
        ctx = info.context
        page = evidence_page(
            ctx,
            self,
            as_of,
            include_retracted,
            first,
            after,
            selected=selected_names(info.selected_fields),
        )
        items, total = await loaders.evidence_page_loader(ctx).load(page.key)
        facets = loaders.FacetsKey(page.key.proposition_id, page.as_of, include_retracted)
        return EvidenceConnection.of_evidence(items, total, page.limit, page.as_of, facets=facets)

    @strawberry.field(
        description="Each function's current belief (withdrawn ones left out), as of asOf "
        "(default: the listing's asOf, else now), ordered by function."
    )
    async def beliefs(
        self, info: Info[Context, None], as_of: datetime | None = None
    ) -> list[Belief]:
        when = as_of or self.as_of or info.context.now
        found = await loaders.current_beliefs_loader(info.context).load((str(self.id), when))
        return [Belief.from_model(b, when) for b in found]

    @strawberry.field(
        description="Every statement and withdrawal made on this proposition up to asOf, by "
        "function then sequence number; one function's only when named."
    )
    async def belief_history(
        self,
        info: Info[Context, None],
        function: str | None = None,
        as_of: datetime | None = None,
    ) -> list[Belief]:
        return await belief_history_of(info.context, str(self.id), function, as_of or self.as_of)

    async def _support(self, info: Info[Context, None], as_of: datetime | None) -> SupportFigures:
        when = as_of or self.as_of or info.context.now
        return await loaders.support_of(info.context, str(self.id), when)

    @classmethod
    def from_model(cls, p: models.Proposition, as_of: datetime | None = None) -> Proposition:
        return mirrored(cls, p, created_by_id=p.created_by, as_of=as_of)


class EvidencePage(NamedTuple):
    """The page of a proposition's evidence a query asks for, as its loader reads it."""

    key: loaders.EvidencePageKey
    limit: int  # items on the page (the key reads one more)
    as_of: datetime  # pinned by the cursor when paging on


def evidence_page(
    ctx: Context,
    proposition: Proposition,
    as_of: datetime | None,
    include_retracted: bool,
    first: int | None,
    after: str | None,
    *,
    selected: Collection[str],
) -> EvidencePage:
    """What ``Proposition.evidence`` reads: its arguments made a loader key (bad ones refused);
    ``selected``, the names of the fields selected under it (``selected_names``)."""
    return evidence_page_of(
        ctx,
        str(proposition.id),
        as_of or proposition.as_of,
        include_retracted,
        first,
        after,
        selected=selected,
    )


def evidence_page_of(
    ctx: Context,
    proposition_id: str,
    as_of: datetime | None,
    include_retracted: bool,
    first: int | None,
    after: str | None,
    *,
    selected: Collection[str],
) -> EvidencePage:
    """``evidence_page`` of the proposition ``proposition_id``, ``as_of`` already defaulted
    to the listing's."""
    limit, pinned, key = window(ctx, first, EVIDENCE_PAGE, as_of, after)
    page_key = loaders.EvidencePageKey(
        proposition_id=proposition_id,
        as_of=pinned,
        include_retracted=include_retracted,
        after=time_position(key),
        limit=limit + 1,
        bears="bears" in selected,
        fields=evidence_fields(selected),
    )
    return EvidencePage(page_key, limit, pinned)


def selected_names(selections: Sequence[Selection]) -> set[str]:
    """The names of the fields selected anywhere below (fragments included, directives not
    applied: a field under ``@skip`` counts)."""
    names: set[str] = set()
    for s in selections:
        if isinstance(s, SelectedField):
            names.add(s.name)
        names |= selected_names(s.selections)
    return names


def names_in(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> set[str]:
    """``selected_names`` read from the query's syntax tree (graphql-core's nodes), for what
    holds no strawberry selection: the compiled path and a listing planning its one query.
    All three must name the same fields, so that each asks the loaders for the same pages."""
    names: set[str] = set()
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, FieldNode):
            names.add(node.name.value)
            names |= names_in(node.selection_set, fragments)
        elif isinstance(node, InlineFragmentNode):
            names |= names_in(node.selection_set, fragments)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            names |= names_in(fragments[node.name.value].selection_set, fragments)
    return names


async def proposition_by_id(
    ctx: Context, proposition_id: str, as_of: datetime | None
) -> Proposition:
    """The proposition an evidence bearing or a belief names, through the request's loader."""
    found = await ctx.proposition_loader.load(proposition_id)
    if found is None:
        raise PropositionNotFound(proposition_id)
    return Proposition.from_model(found, as_of)


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
        return await proposition_by_id(info.context, self.proposition_id, self.as_of)


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
        return await member_by_id(info.context, str(self.recorded_by_id))

    @strawberry.field(description="The customer account it comes from, if any.")
    async def account(self, info: Info[Context, None]) -> Entity | None:
        return await entity_by_id(info.context, self.account_id)

    @classmethod
    def from_model(cls, e: models.EvidenceItem, as_of: datetime | None = None) -> Evidence:
        return mirrored(
            cls,
            e,
            recorded_by_id=e.recorded_by,
            bears=[mirrored(Bearing, b, as_of=as_of) for b in e.bears],
        )


def evidence_key(item: models.EvidenceItem) -> list[Any]:
    """The cursor key of a page of evidence: newest observation first, then by id."""
    return [item.observed_at.isoformat(), item.id]


# What each GraphQL field selected under a page of evidence reads of its items: the fields of
# ``Evidence`` (every one of them: a test holds this table to the type). Any other name under
# the page (``nodes``, ``totalCount``, ``cursor``, a bearing's fields) reads no more.
ITEM_FIELDS_READ: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "sourceType": ("source_type",),
    "summary": ("summary",),
    "sourceRef": ("source_ref",),
    "observedAt": ("observed_at",),
    "recordedAt": ("recorded_at",),
    "function": ("function",),
    "retractedAt": ("retracted_at",),
    "retractReason": ("retract_reason",),
    "redactedAt": ("redacted_at",),
    "importId": ("import_id",),
    "recordedById": ("recorded_by",),
    "recordedBy": ("recorded_by",),
    "account": ("account_id",),
    "bears": ("bears",),
}


# Read whatever is selected: each item's cursor (``evidence_key``), made for every edge.
ALWAYS_READ = frozenset({"id", "observed_at"})


def evidence_fields(selected: Collection[str]) -> frozenset[str]:
    """The item fields a page of evidence reads for a query selecting ``selected`` under it."""
    return ALWAYS_READ.union(*(ITEM_FIELDS_READ.get(name, ()) for name in selected))


@strawberry.type(description="How many items of an evidence listing have one source type.")
class SourceTypeCount:
    source_type: str = strawberry.field(description="The source type.")
    count: int = strawberry.field(description="How many items, over all pages, have it.")


@strawberry.type(description="How many items of an evidence listing bear with one stance.")
class StanceCount:
    stance: Stance = strawberry.field(description="The stance.")
    count: int = strawberry.field(description="How many items, over all pages, bear so.")


@strawberry.type(
    description="Facet counts of an evidence listing: its items over all pages (not just "
    "this one), as its arguments filter them, by source type and by stance. Each list "
    "holds only the values some item has, most items first (then by value)."
)
class EvidenceCounts:
    by_source_type: list[SourceTypeCount] = strawberry.field(
        description="Per source type; the counts add up to totalCount."
    )
    by_stance: list[StanceCount] = strawberry.field(
        description="Per stance of the item's bearing on the proposition the listing names "
        "(the counts then add up to totalCount), or, when it names none, of any of its "
        "bearings: an item that supports one proposition and contradicts another counts "
        "under both."
    )


def most_first(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Facet counts, the most first (then by value): the order every ``counts`` lists."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@described(
    "One item of a page of evidence.",
    cursor="Pass as `after` to continue after this item.",
    node="The evidence item.",
)
class EvidenceEdge(Edge[Evidence]):
    pass


@described(
    "A page of evidence, newest observation first unless the listing's orderBy says otherwise.",
    edges="The items, with cursors.",
    page_info="Where this page ends, and its as-of.",
    total_count="How many items match, over all pages.",
    nodes="The items of this page, without cursors.",
)
class EvidenceConnection(Connection[Evidence]):
    edges: Sequence[EvidenceEdge]
    # The listing's filters, as ``graph.evidence.count_facets`` takes them, for ``counts``;
    # or, for a proposition's own page, what its loader batches for the pages of a listing.
    listing: strawberry.Private[dict[str, Any] | None] = None
    facets: strawberry.Private[loaders.FacetsKey | None] = None

    @strawberry.field(
        description="How many items of the whole listing (every page) have each source type "
        "and each stance; read only when asked for."
    )
    async def counts(self, info: Info[Context, None]) -> EvidenceCounts:
        if self.facets is not None:
            loader = loaders.evidence_facets_loader(info.context)
            by_source, by_stance = await loader.load(self.facets)
        else:
            assert self.listing is not None
            by_source, by_stance = await info.context.read(
                evidence_repo.count_facets, **self.listing
            )
        return EvidenceCounts(
            by_source_type=[
                SourceTypeCount(source_type=s, count=n) for s, n in most_first(by_source)
            ],
            by_stance=[StanceCount(stance=Stance(s), count=n) for s, n in most_first(by_stance)],
        )

    @classmethod
    def of_evidence(
        cls,
        items: Sequence[models.EvidenceItem],
        total: int,
        limit: int,
        as_of: datetime,
        listing: dict[str, Any] | None = None,
        key: Callable[[models.EvidenceItem], list[Any]] = evidence_key,
        facets: loaders.FacetsKey | None = None,
    ) -> EvidenceConnection:
        """The page of up to ``limit`` of ``items``, in the order ``key`` (the cursor key)
        names: newest observation first unless told; ``listing`` holds its filters."""
        return cls.of(
            items,
            limit,
            as_of,
            key=key,
            node=lambda e: Evidence.from_model(e, as_of),
            total_count=total,
            listing=listing,
            facets=facets,
        )


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
        return await proposition_by_id(info.context, self.proposition_id, self.as_of)

    @strawberry.field(description="The member who stated it; null for system writes.")
    async def stated_by(self, info: Info[Context, None]) -> Member | None:
        return await member_by_id(info.context, str(self.stated_by_id))

    @classmethod
    def from_model(cls, b: models.Belief, as_of: datetime | None = None) -> Belief:
        return mirrored(cls, b, stated_by_id=b.stated_by, as_of=as_of)


async def belief_history_of(
    ctx: Context, proposition_id: str, function: str | None, as_of: datetime | None
) -> list[Belief]:
    """A proposition's belief history up to ``as_of`` (default now), one query per page."""
    when = as_of or ctx.now
    found = await loaders.belief_history_loader(ctx).load((proposition_id, function, when))
    return [Belief.from_model(b, when) for b in found]
