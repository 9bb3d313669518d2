"""What every divergence query starts from: the caller may read, the page size is checked,
the thresholds are known; and the arguments the queries share, described once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.divergence.types import DivergenceThresholds
from api.graphql.vocabulary import EntityKind
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
After = Annotated[
    str | None,
    strawberry.argument(description="The endCursor of the previous page; pins its asOf."),
]
# The arguments a listing and its paged form (`disagreements`, `disagreementsPage`) share.
HoldsBelief = Annotated[
    str | None,
    strawberry.argument(description="Only propositions this function holds a belief on."),
]
ContestedOnly = Annotated[bool, strawberry.argument(description="Only spreads >= contestedSpread.")]
BlindFunction = Annotated[
    str, strawberry.argument(description="The function whose blind spots to list.")
]
OwnsFix = Annotated[
    str | None,
    strawberry.argument(description="Only the gaps whose fix this function owns."),
]
DuplicateKind = Annotated[
    EntityKind | None,
    strawberry.argument(description="Only this kind (FEATURE, PAIN, GOAL, CLAIM by default)."),
]
MinSimilarity = Annotated[
    float | None,
    strawberry.argument(
        description="Flag pairs at least this alike; duplicateMinSimilarity when omitted."
    ),
]
ExistedAsOf = Annotated[
    datetime | None,
    strawberry.argument(
        description="Compare the entities that existed at this time; now when omitted."
    ),
]


@dataclass(frozen=True)
class Reading:
    """One divergence query's reading: the caller may read, the page size is checked."""

    ctx: Context
    settings: engine.EngineSettings
    thresholds: DivergenceThresholds
    limit: int

    async def picture(
        self, segment_id: strawberry.ID | None, as_of: datetime | None
    ) -> engine.Picture:
        # The current model (a first page pins now): what this process keeps, brought up to
        # date. A later page's pinned time reads the model as it stood then.
        if as_of is None or as_of == self.ctx.now:
            return await engine.shared_model(self.ctx.db).picture(
                self.settings,
                as_of=self.ctx.now,
                segment_id=str(segment_id) if segment_id is not None else None,
                bookmarks=self.ctx.bookmarks or None,
            )
        return await self.ctx.db.read_model(
            self.ctx.bookmarks or None,
            engine.load_picture,
            self.settings,
            as_of=as_of or self.ctx.now,
            segment_id=str(segment_id) if segment_id is not None else None,
        )

    def similarity(self, min_similarity: float | None) -> float:
        """The duplicates' threshold: the one asked for, else the configured one."""
        chosen = (
            self.settings.duplicate_min_similarity if min_similarity is None else min_similarity
        )
        if not 0.0 <= chosen <= 1.0:
            raise rows.SimilarityOutOfRange(chosen)
        return chosen


def reading(info: Info[Context, None], first: int | None = None) -> Reading:
    ctx = info.context
    ctx.actor  # noqa: B018 - reading needs a token
    limit = check_page_size(first, DEFAULT_ROWS, ctx.settings.max_page_size)
    settings = engine.EngineSettings.from_settings(ctx.settings)
    return Reading(ctx, settings, DivergenceThresholds.from_model(settings.thresholds), limit)
