"""Calibration of each function (docs/design.md §2b): whose picture of the customer turned
out right. Pure data, and the typed errors of a calibration request.

A proposition *resolves* at the first of its events (a batch of evidence recorded, an import
completed, an item retracted) whose status is VALIDATED (outcome 1) or REFUTED (outcome 0). A
function's *forecast* on it is its current belief as of the resolution time minus
``minLeadDays``; a belief stated at or after that time never counts.
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from schema.errors import BadInput

MAX_LEAD_DAYS = 3650.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CalibrationBin(_Frozen):
    """One bin of the reliability diagram: the forecasts with p in [low, high) (the last bin
    includes 1), how often those propositions turned out to hold."""

    low: float = Field(description="Lowest p of the bin.")
    high: float = Field(description="Highest p of the bin (exclusive, except 1).")
    count: int = Field(description="Forecasts in the bin.")
    mean_forecast: float | None = Field(description="Their mean p; null when the bin is empty.")
    observed_frequency: float | None = Field(
        description="Share of them whose proposition was validated; null when empty."
    )


class QuarterCalibration(_Frozen):
    """A function's forecasts on the propositions resolved in one UTC quarter."""

    quarter: str = Field(description='The UTC quarter of resolution, e.g. "2026-Q3".')
    forecasts: int = Field(description="Forecasts scored in that quarter.")
    brier_score: float | None = Field(description="Their Brier score; null without forecasts.")


class FunctionCalibration(_Frozen):
    """How well one function's beliefs forecast what the evidence later established."""

    function: str = Field(description="The function (team).")
    forecasts: int = Field(
        description="Resolved propositions on which the function held a belief before "
        "resolution − minLeadDays."
    )
    brier_score: float | None = Field(
        description="Mean of (p − outcome)²: 0 is perfect, 0.25 is always saying 0.5; null "
        "when forecasts = 0."
    )
    brier_skill_score: float | None = Field(
        description="1 − Brier / (ō(1 − ō)), against always forecasting the base rate ō of the "
        "outcomes: 1 perfect, 0 no better, below 0 worse; null when every outcome is the same."
    )
    outcomes_validated: int = Field(description="Of the forecasts, on validated propositions.")
    reopened: int = Field(
        description="Of the forecasts, on propositions a later event reopened (the opposite "
        "status or contested): shown, but the resolution stands."
    )
    bins: tuple[CalibrationBin, ...] = Field(description="10 equal-width bins of p.")
    by_quarter: tuple[QuarterCalibration, ...] = Field(
        description="The UTC quarters of resolution, oldest first."
    )


class Resolution(_Frozen):
    """When and how a proposition resolved, and whether a later event reopened it."""

    proposition_id: str
    resolved_at: datetime
    outcome: int = Field(description="1 when validated, 0 when refuted.")
    reopened: bool


class LeadDaysOutOfRange(BadInput):
    """minLeadDays was negative, not a number, or over ten years."""

    def __init__(self, value: float) -> None:
        super().__init__(
            f"minLeadDays must be a number of days from 0 to {MAX_LEAD_DAYS:g}, got {value}",
            min_lead_days=value,
        )


def check_lead_days(value: float) -> float:
    if not (math.isfinite(value) and 0.0 <= value <= MAX_LEAD_DAYS):
        raise LeadDaysOutOfRange(value)
    return value
