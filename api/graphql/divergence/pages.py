"""The divergence listings a page at a time, beside the list fields the contract fixes.

`disagreements`, `blindSpots`, `assumptionDebt`, `structuralGaps` and `duplicates` stay
plain lists (docs/design.md §4, Listings); each has a `…Page` twin shaped like
`divergences`: a Connection with `totalCount`, `pageInfo` and cursors that pin the first
page's asOf, so every page is cut from the same listing.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.divergence.reading import (
    DEFAULT_ROWS,
    After,
    AsOf,
    BlindFunction,
    ContestedOnly,
    DuplicateKind,
    ExistedAsOf,
    First,
    FunctionFilter,
    HoldsBelief,
    MinSimilarity,
    OwnsFix,
    SegmentFilter,
    reading,
)
from api.graphql.divergence.types import (
    AssumptionDebt,
    BlindSpot,
    Disagreement,
    DivergenceThresholds,
    DuplicatePair,
    StructuralGap,
)
from api.graphql.pagination import Connection, Edge, described, window
from graph import divergence as engine
from schema import divergence as rows

CURSOR = "Pass as `after` to continue after this row (keeps the asOf)."
PAGE_INFO = "Where this page ends, and the asOf of every page."
THRESHOLDS = "The thresholds these rows were computed with."


@described("One disagreement and its cursor.", cursor=CURSOR, node="The disagreement.")
class DisagreementEdge(Edge[Disagreement]):
    pass


@described(
    "Disagreements between functions, widest spread first, a page at a time.",
    page_info=PAGE_INFO,
    total_count="How many propositions the functions disagree on, over all pages.",
    edges="The disagreements of this page, with cursors.",
    nodes="The disagreements of this page, without cursors.",
)
class DisagreementConnection(Connection[Disagreement]):
    edges: Sequence[DisagreementEdge]
    thresholds: DivergenceThresholds = strawberry.field(description=THRESHOLDS)


@described("One blind spot and its cursor.", cursor=CURSOR, node="The blind spot.")
class BlindSpotEdge(Edge[BlindSpot]):
    pass


@described(
    "A function's blind spots, strongest evidence first, a page at a time.",
    page_info=PAGE_INFO,
    total_count="How many blind spots the function has, over all pages.",
    edges="The blind spots of this page, with cursors.",
    nodes="The blind spots of this page, without cursors.",
)
class BlindSpotConnection(Connection[BlindSpot]):
    edges: Sequence[BlindSpotEdge]
    thresholds: DivergenceThresholds = strawberry.field(description=THRESHOLDS)


@described("One strong, barely evidenced belief and its cursor.", cursor=CURSOR, node="The debt.")
class AssumptionDebtEdge(Edge[AssumptionDebt]):
    pass


@described(
    "Assumption debt, heaviest magnitude first, a page at a time.",
    page_info=PAGE_INFO,
    total_count="How many strong beliefs lack evidence, over all pages.",
    edges="The debts of this page, with cursors.",
    nodes="The debts of this page, without cursors.",
)
class AssumptionDebtConnection(Connection[AssumptionDebt]):
    edges: Sequence[AssumptionDebtEdge]
    thresholds: DivergenceThresholds = strawberry.field(description=THRESHOLDS)


@described("One structural gap and its cursor.", cursor=CURSOR, node="The structural gap.")
class StructuralGapEdge(Edge[StructuralGap]):
    pass


@described(
    "Structural gaps, by kind then name, a page at a time.",
    page_info=PAGE_INFO,
    total_count="How many structural gaps there are, over all pages.",
    edges="The gaps of this page, with cursors.",
    nodes="The gaps of this page, without cursors.",
)
class StructuralGapConnection(Connection[StructuralGap]):
    edges: Sequence[StructuralGapEdge]
    thresholds: DivergenceThresholds = strawberry.field(description=THRESHOLDS)


@described("One duplicate pair and its cursor.", cursor=CURSOR, node="The pair.")
class DuplicatePairEdge(Edge[DuplicatePair]):
    pass


@described(
    "Duplicate pairs, most alike first, a page at a time.",
    page_info=PAGE_INFO,
    total_count="How many pairs are at least minSimilarity alike, over all pages.",
    edges="The pairs of this page, with cursors.",
    nodes="The pairs of this page, without cursors.",
)
class DuplicatePairConnection(Connection[DuplicatePair]):
    edges: Sequence[DuplicatePairEdge]
    min_similarity: float = strawberry.field(description="The threshold these pairs used.")


def _proposition_id(row: rows.Disagreement | rows.BlindSpot) -> list[str]:
    return [row.proposition.id]


def _debt_id(row: rows.AssumptionDebt) -> list[str]:
    return [row.proposition.id, row.function]


def _gap_id(row: rows.StructuralGap) -> list[str]:
    related = row.related.id if row.related else ""
    return [row.kind.value, row.entity.id, related, *(s.id for s in row.segments)]


def _pair_id(row: rows.DuplicatePair) -> list[str]:
    return [row.a.entity.id, row.b.entity.id]


@strawberry.type
class DivergencePageQuery:
    @strawberry.field(
        description="`disagreements`, a page at a time: a cursor pins asOf, `totalCount` "
        "counts every page."
    )
    async def disagreements_page(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        after: After = None,
        function: HoldsBelief = None,
        contested_only: ContestedOnly = False,
    ) -> DisagreementConnection:
        read = reading(info)
        page = window(read.ctx, first, DEFAULT_ROWS, as_of, after)
        picture = await read.picture(segment_id, page.as_of)
        found = engine.disagreements(picture, function, contested_only=contested_only)
        return DisagreementConnection.of_computed(
            found,
            page,
            listing="disagreements",
            identity=_proposition_id,
            node=lambda d: Disagreement.from_model(d, thresholds=read.thresholds),
            thresholds=read.thresholds,
        )

    @strawberry.field(description="`blindSpots`, a page at a time: a cursor pins asOf.")
    async def blind_spots_page(
        self,
        info: Info[Context, None],
        function: BlindFunction,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        after: After = None,
    ) -> BlindSpotConnection:
        read = reading(info)
        page = window(read.ctx, first, DEFAULT_ROWS, as_of, after)
        picture = await read.picture(segment_id, page.as_of)
        return BlindSpotConnection.of_computed(
            engine.blind_spots(picture, function),
            page,
            listing="blindSpots",
            identity=_proposition_id,
            node=lambda b: BlindSpot.from_model(b, thresholds=read.thresholds),
            thresholds=read.thresholds,
        )

    @strawberry.field(description="`assumptionDebt`, a page at a time: a cursor pins asOf.")
    async def assumption_debt_page(
        self,
        info: Info[Context, None],
        function: FunctionFilter = None,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        after: After = None,
    ) -> AssumptionDebtConnection:
        read = reading(info)
        page = window(read.ctx, first, DEFAULT_ROWS, as_of, after)
        picture = await read.picture(segment_id, page.as_of)
        return AssumptionDebtConnection.of_computed(
            engine.assumption_debt(picture, function),
            page,
            listing="assumptionDebt",
            identity=_debt_id,
            node=lambda d: AssumptionDebt.from_model(d, thresholds=read.thresholds),
            thresholds=read.thresholds,
        )

    @strawberry.field(description="`structuralGaps`, a page at a time: a cursor pins asOf.")
    async def structural_gaps_page(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        function: OwnsFix = None,
        as_of: AsOf = None,
        first: First = None,
        after: After = None,
    ) -> StructuralGapConnection:
        read = reading(info)
        page = window(read.ctx, first, DEFAULT_ROWS, as_of, after)
        picture = await read.picture(segment_id, page.as_of)
        return StructuralGapConnection.of_computed(
            engine.structural_gaps(picture, function),
            page,
            listing="structuralGaps",
            identity=_gap_id,
            node=lambda g: StructuralGap.from_model(g, thresholds=read.thresholds),
            thresholds=read.thresholds,
        )

    @strawberry.field(description="`duplicates`, a page at a time: a cursor pins asOf.")
    async def duplicates_page(
        self,
        info: Info[Context, None],
        kind: DuplicateKind = None,
        min_similarity: MinSimilarity = None,
        first: First = None,
        after: After = None,
        as_of: ExistedAsOf = None,
    ) -> DuplicatePairConnection:
        read = reading(info)
        threshold = read.similarity(min_similarity)
        page = window(read.ctx, first, DEFAULT_ROWS, as_of, after)
        found = await read.ctx.read(
            engine.duplicates, as_of=page.as_of, min_similarity=threshold, kind=kind
        )
        return DuplicatePairConnection.of_computed(
            found,
            page,
            listing="duplicates",
            identity=_pair_id,
            node=lambda p: DuplicatePair.from_model(p, min_similarity=threshold),
            min_similarity=threshold,
        )
