"""The divergence queries of docs/design.md §2, in GraphQL.

Each resolver loads one ``Picture`` (a handful of queries, whatever the model's size) and
runs a pure query over it; every row carries the evidence behind it and each function's
current belief, and every result names the thresholds it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.divergence.types import (
    Alignment,
    AssumptionDebt,
    BeliefGap,
    BeliefGapConnection,
    BlindSpot,
    Disagreement,
    DivergenceThresholds,
    DuplicatePair,
    PriorityAlignment,
    StructuralGap,
)
from api.graphql.pagination import pin_listing
from api.graphql.vocabulary import EntityKind, Relation
from graph import divergence as engine
from graph.kit.cursors import check_page_size
from schema import divergence as rows

DEFAULT_ROWS = 50

FunctionFilter = Annotated[
    str | None,
    strawberry.argument(description="Only this function's rows (e.g. `sales`)."),
]
SegmentFilter = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Only this segment's scope (its goals, pains, alternatives, what relieves, "
        "enables, promises or beats them, the claims targeting it); all when omitted."
    ),
]
AsOf = Annotated[
    datetime | None,
    strawberry.argument(description="Compute everything as of this time; now when omitted."),
]
First = Annotated[
    int | None,
    strawberry.argument(description="At most this many rows (50 by default, at most 100)."),
]


@dataclass(frozen=True)
class _Reading:
    """One divergence query's reading: the caller may read, the page size is checked."""

    ctx: Context
    settings: engine.EngineSettings
    thresholds: DivergenceThresholds
    limit: int

    async def picture(
        self, segment_id: strawberry.ID | None, as_of: datetime | None
    ) -> engine.Picture:
        return await self.ctx.db.read_model(
            self.ctx.bookmarks or None,
            engine.load_picture,
            self.settings,
            as_of=as_of or self.ctx.now,
            segment_id=str(segment_id) if segment_id is not None else None,
        )


def _reading(info: Info[Context, None], first: int | None = None) -> _Reading:
    ctx = info.context
    ctx.actor  # noqa: B018 - reading needs a token
    limit = check_page_size(first, DEFAULT_ROWS, ctx.settings.max_page_size)
    settings = engine.EngineSettings.from_settings(ctx.settings)
    return _Reading(ctx, settings, DivergenceThresholds.from_model(settings.thresholds), limit)


def _gap_key(gap: rows.BeliefGap) -> list[str]:
    return [
        repr(float(gap.rank_score)),
        repr(float(abs(gap.gap))),
        gap.proposition.id,
        gap.function,
    ]


def _after(key: list[str]) -> tuple[float, float, str, str]:
    try:
        rank, size, pid, function = key
        return (-float(rank), -float(size), pid, function)
    except ValueError as error:
        raise rows.ForeignGapCursor(key) from error


@strawberry.type
class DivergenceQuery:
    @strawberry.field(
        description="Belief gaps (docs/design.md §2 item 1): each function's current belief "
        "against the evidence, gap = p − confidence, on propositions with evidence mass S + C ≥ "
        "minEvidenceMass; ranked by |gap| × consensus magnitude. A cursor pins asOf."
    )
    async def divergences(
        self,
        info: Info[Context, None],
        function: FunctionFilter = None,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="The endCursor of the previous page; pins its asOf."),
        ] = None,
        significant_only: Annotated[
            bool, strawberry.argument(description="Only gaps with |gap| >= significantGap.")
        ] = False,
    ) -> BeliefGapConnection:
        read = _reading(info, first)
        pinned, after_key = pin_listing(as_of, after, read.ctx.now)
        picture = await read.picture(segment_id, pinned)
        gaps = engine.belief_gaps(picture, function, significant_only=significant_only)
        remaining = gaps
        if after_key is not None:
            start = _after(after_key)
            remaining = [g for g in gaps if engine.gap_sort_key(g) > start]
        return BeliefGapConnection.of(
            remaining,
            read.limit,
            pinned,
            key=_gap_key,
            node=lambda g: BeliefGap.from_model(g, thresholds=read.thresholds),
            total_count=len(gaps),
            thresholds=read.thresholds,
        )

    @strawberry.field(
        description="Disagreement between functions (item 2): spread and standard deviation of "
        "the current beliefs on each proposition with two or more, widest first; contested "
        "among functions when spread ≥ contestedSpread."
    )
    async def disagreements(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
        function: Annotated[
            str | None,
            strawberry.argument(description="Only propositions this function holds a belief on."),
        ] = None,
        contested_only: Annotated[
            bool, strawberry.argument(description="Only spreads >= contestedSpread.")
        ] = False,
    ) -> list[Disagreement]:
        read = _reading(info, first)
        picture = await read.picture(segment_id, as_of)
        found = engine.disagreements(picture, function, contested_only=contested_only)
        return [Disagreement.from_model(d, thresholds=read.thresholds) for d in found[: read.limit]]

    @strawberry.field(
        description="Blind spots (item 3): validated or refuted propositions on which the "
        "function holds no belief, strongest evidence first."
    )
    async def blind_spots(
        self,
        info: Info[Context, None],
        function: Annotated[
            str, strawberry.argument(description="The function whose blind spots to list.")
        ],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
    ) -> list[BlindSpot]:
        read = _reading(info, first)
        picture = await read.picture(segment_id, as_of)
        found = engine.blind_spots(picture, function)
        return [BlindSpot.from_model(b, thresholds=read.thresholds) for b in found[: read.limit]]

    @strawberry.field(
        description="Assumption debt (item 4): strong beliefs on propositions with evidence "
        "mass below minEvidenceMass, per function, heaviest magnitude first: the assumptions "
        "to test first."
    )
    async def assumption_debt(
        self,
        info: Info[Context, None],
        function: FunctionFilter = None,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
    ) -> list[AssumptionDebt]:
        read = _reading(info, first)
        picture = await read.picture(segment_id, as_of)
        found = engine.assumption_debt(picture, function)
        return [
            AssumptionDebt.from_model(d, thresholds=read.thresholds) for d in found[: read.limit]
        ]

    @strawberry.field(
        description="Priority alignment (item 5): Kendall's tau-b between each function's "
        "ranking (p × magnitude) of a segment's items of one relation and the evidence's "
        "(max(S − C, 0) × mean magnitude), and between every pair of functions."
    )
    async def priority_alignment(
        self,
        info: Info[Context, None],
        segment_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The segment whose priorities to compare."),
        ],
        relation: Annotated[
            Relation,
            strawberry.argument(
                description="Which items to rank: PURSUES its goals, EXPERIENCES its pains, "
                "USES its alternatives, or any relation of its scope."
            ),
        ],
        as_of: AsOf = None,
    ) -> PriorityAlignment:
        read = _reading(info)
        picture = await read.picture(segment_id, as_of)
        return PriorityAlignment.from_model(
            engine.priority_alignment(picture, relation),
            as_of=picture.as_of,
            thresholds=read.thresholds,
        )

    @strawberry.field(
        description="The alignment index (item 6), over the whole model or one segment: "
        "Krippendorff's interval alpha with its bootstrap interval, the mean absolute "
        "difference and the function × function matrix."
    )
    async def alignment(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
    ) -> Alignment:
        read = _reading(info)
        picture = await read.picture(segment_id, as_of)
        return Alignment.from_model(
            engine.alignment(picture), as_of=picture.as_of, thresholds=read.thresholds
        )

    @strawberry.field(
        description="Structural gaps in the shared model (item 7); `function` keeps the gaps "
        "whose fix that function owns."
    )
    async def structural_gaps(
        self,
        info: Info[Context, None],
        segment_id: SegmentFilter = None,
        function: Annotated[
            str | None,
            strawberry.argument(description="Only the gaps whose fix this function owns."),
        ] = None,
        as_of: AsOf = None,
    ) -> list[StructuralGap]:
        read = _reading(info)
        picture = await read.picture(segment_id, as_of)
        return [
            StructuralGap.from_model(g, thresholds=read.thresholds)
            for g in engine.structural_gaps(picture, function)
        ]

    @strawberry.field(
        description="Duplicates across teams (item 8): features, pains, goals and claims "
        "(or one kind) that look like the same thing, most alike first."
    )
    async def duplicates(
        self,
        info: Info[Context, None],
        kind: Annotated[
            EntityKind | None,
            strawberry.argument(
                description="Only this kind (FEATURE, PAIN, GOAL, CLAIM by default)."
            ),
        ] = None,
        min_similarity: Annotated[
            float | None,
            strawberry.argument(
                description="Flag pairs at least this alike; duplicateMinSimilarity when omitted."
            ),
        ] = None,
        first: First = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(
                description="Compare the entities that existed at this time; now when omitted."
            ),
        ] = None,
    ) -> list[DuplicatePair]:
        read = _reading(info, first)
        threshold = (
            read.settings.duplicate_min_similarity if min_similarity is None else min_similarity
        )
        if not 0.0 <= threshold <= 1.0:
            raise rows.SimilarityOutOfRange(threshold)
        found = await read.ctx.read(
            engine.duplicates, as_of=as_of or read.ctx.now, min_similarity=threshold, kind=kind
        )
        return [DuplicatePair.from_model(p, min_similarity=threshold) for p in found[: read.limit]]

    @strawberry.field(description="The thresholds every divergence query uses, as configured.")
    def divergence_thresholds(self, info: Info[Context, None]) -> DivergenceThresholds:
        return _reading(info).thresholds
