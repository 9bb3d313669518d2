"""The divergence queries of docs/design.md §2, in GraphQL.

Each resolver loads one ``Picture`` (a handful of queries, whatever the model's size) and
runs a pure query over it; every row carries the evidence behind it and each function's
current belief, and every result names the thresholds it used.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.divergence.reading import (
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
from api.graphql.vocabulary import Relation
from graph import divergence as engine
from schema import divergence as rows


def _gap_key(gap: rows.BeliefGap) -> list[str]:
    # The figures of the sort key itself (rounded to 9 decimals), so a cursor resumes exactly.
    rank, size, pid, function = engine.gap_sort_key(gap)
    return [repr(-rank), repr(-size), pid, function]


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
        after: After = None,
        significant_only: Annotated[
            bool, strawberry.argument(description="Only gaps with |gap| >= significantGap.")
        ] = False,
        opposing_only: Annotated[
            bool,
            strawberry.argument(
                description="Only gaps that oppose the evidence: p and confidence on opposite "
                "sides of 0.5."
            ),
        ] = False,
    ) -> BeliefGapConnection:
        read = reading(info, first)
        pinned, after_key = pin_listing(as_of, after, read.ctx.now)
        picture = await read.picture(segment_id, pinned)
        gaps = engine.belief_gaps(
            picture, function, significant_only=significant_only, opposing_only=opposing_only
        )
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
        function: HoldsBelief = None,
        contested_only: ContestedOnly = False,
    ) -> list[Disagreement]:
        read = reading(info, first)
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
        function: BlindFunction,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        first: First = None,
    ) -> list[BlindSpot]:
        read = reading(info, first)
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
        read = reading(info, first)
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
        read = reading(info)
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
        read = reading(info)
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
        function: OwnsFix = None,
        as_of: AsOf = None,
    ) -> list[StructuralGap]:
        read = reading(info)
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
        kind: DuplicateKind = None,
        min_similarity: MinSimilarity = None,
        first: First = None,
        as_of: ExistedAsOf = None,
    ) -> list[DuplicatePair]:
        read = reading(info, first)
        threshold = read.similarity(min_similarity)
        found = await read.ctx.read(
            engine.duplicates, as_of=as_of or read.ctx.now, min_similarity=threshold, kind=kind
        )
        return [DuplicatePair.from_model(p, min_similarity=threshold) for p in found[: read.limit]]

    @strawberry.field(description="The thresholds every divergence query uses, as configured.")
    def divergence_thresholds(self, info: Info[Context, None]) -> DivergenceThresholds:
        return reading(info).thresholds
