"""Calibration of each function in GraphQL (docs/design.md §2b): whose picture of the
customer has been right. The types are derived from ``schema.calibration``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.divergence.reading import AsOf, SegmentFilter
from api.graphql.shapes import Row, row_type
from graph import calibration as engine
from graph.divergence import EngineSettings
from schema import calibration as shapes


@row_type(shapes.CalibrationBin)
class CalibrationBin(Row):
    pass


@row_type(shapes.QuarterCalibration)
class QuarterCalibration(Row):
    pass


@row_type(shapes.FunctionCalibration)
class FunctionCalibration(Row):
    function: strawberry.auto
    forecasts: strawberry.auto
    brier_score: strawberry.auto
    brier_skill_score: strawberry.auto
    outcomes_validated: strawberry.auto
    reopened: strawberry.auto
    bins: strawberry.auto
    by_quarter: strawberry.auto
    as_of: datetime = strawberry.field(description="The time the figures are computed as of.")
    min_lead_days: float = strawberry.field(
        description="How long before resolution a belief had to stand to count."
    )


@strawberry.type
class CalibrationQuery:
    @strawberry.field(
        description="Each function's calibration (docs/design.md §2b) over the propositions "
        "in scope that the evidence resolved by asOf: a proposition resolves at the first event "
        "(a batch of evidence recorded, an import completed, an item retracted) at which it is "
        "VALIDATED (outcome 1) or REFUTED (0); a function's forecast is its belief standing "
        "minLeadDays before that event. Brier score, skill score against the base rate, 10 "
        "reliability bins and the UTC quarters of resolution."
    )
    async def calibration(
        self,
        info: Info[Context, None],
        function: Annotated[
            str | None, strawberry.argument(description="Only this function (e.g. `marketing`).")
        ] = None,
        segment_id: SegmentFilter = None,
        as_of: AsOf = None,
        min_lead_days: Annotated[
            float,
            strawberry.argument(
                description="Count only beliefs standing this many days before resolution "
                "(0: the belief standing just before the resolving event)."
            ),
        ] = 0.0,
    ) -> list[FunctionCalibration]:
        ctx = info.context
        ctx.actor  # noqa: B018 - reading needs a token
        shapes.check_lead_days(min_lead_days)
        moment = as_of or ctx.now
        found = await ctx.db.read_model(
            ctx.bookmarks or None,
            engine.calibration,
            EngineSettings.from_settings(ctx.settings),
            as_of=moment,
            segment_id=str(segment_id) if segment_id is not None else None,
            function=function,
            min_lead_days=min_lead_days,
        )
        return [
            FunctionCalibration.from_model(row, as_of=moment, min_lead_days=min_lead_days)
            for row in found
        ]
