"""Calibration of forecasts against outcomes (docs/design.md §2b): the Brier score, the
Brier skill score against the base rate, and a reliability diagram of 10 equal-width bins.
Pure functions over plain numbers; every formula is written out in ``docs/statistics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from analytics.checks import require_finite

BINS = 10
# A forecast of 0.3 is 2.9999999999999996 after ``10 * p`` on some platforms' arithmetic;
# the nudge keeps a forecast printed as 0.3 in the bin that starts at 0.3.
BIN_NUDGE = 1e-9


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One bin of the reliability diagram: forecasts in [low, high) (the last bin [0.9, 1])."""

    low: float
    high: float
    count: int
    mean_forecast: float | None
    """Mean p of the bin's forecasts; None when the bin is empty."""
    observed_frequency: float | None
    """Share of the bin's forecasts whose proposition resolved as holding; None when empty."""


@dataclass(frozen=True, slots=True)
class CalibrationFigures:
    forecasts: int
    brier_score: float | None
    """Mean of (p - outcome)²; None without forecasts."""
    brier_skill_score: float | None
    """1 - BS / (ō(1 - ō)); None without forecasts or when every outcome is the same."""
    bins: tuple[ReliabilityBin, ...]


def _check(forecasts: Sequence[float], outcomes: Sequence[int]) -> None:
    if len(forecasts) != len(outcomes):
        raise ValueError(
            f"forecasts and outcomes must pair up, got {len(forecasts)} and {len(outcomes)}"
        )
    for p in forecasts:
        require_finite(forecast=p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"forecasts must be in [0, 1], got {p}")
    for o in outcomes:
        if o not in (0, 1):
            raise ValueError(f"outcomes must be 0 or 1, got {o}")


def brier_score(forecasts: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Mean squared difference between each forecast and its outcome (Brier 1950)."""
    _check(forecasts, outcomes)
    if not forecasts:
        return None
    return math.fsum((p - o) ** 2 for p, o in zip(forecasts, outcomes, strict=True)) / len(
        forecasts
    )


def brier_skill_score(forecasts: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """``1 - BS / BS_ref`` with BS_ref = ō(1 - ō), the Brier score of always forecasting the
    base rate ō of the outcomes themselves. 1 is perfect, 0 no better than the base rate,
    negative worse. None when every outcome is the same (the reference is then 0)."""
    score = brier_score(forecasts, outcomes)
    if score is None:
        return None
    base_rate = sum(outcomes) / len(outcomes)
    reference = base_rate * (1.0 - base_rate)
    if reference == 0.0:
        return None
    return 1.0 - score / reference


def bin_index(p: float) -> int:
    """The reliability bin of a forecast: ``min(9, ⌊10p + 1e-9⌋)``."""
    return min(BINS - 1, math.floor(BINS * p + BIN_NUDGE))


def reliability_bins(
    forecasts: Sequence[float], outcomes: Sequence[int]
) -> tuple[ReliabilityBin, ...]:
    """Ten equal-width bins of p, each with its count, mean forecast and observed frequency."""
    _check(forecasts, outcomes)
    members: list[list[tuple[float, int]]] = [[] for _ in range(BINS)]
    for p, o in zip(forecasts, outcomes, strict=True):
        members[bin_index(p)].append((p, o))
    bins = []
    for i, inside in enumerate(members):
        count = len(inside)
        bins.append(
            ReliabilityBin(
                low=i / BINS,
                high=(i + 1) / BINS,
                count=count,
                mean_forecast=math.fsum(p for p, _ in inside) / count if count else None,
                observed_frequency=sum(o for _, o in inside) / count if count else None,
            )
        )
    return tuple(bins)


def calibration_figures(forecasts: Sequence[float], outcomes: Sequence[int]) -> CalibrationFigures:
    """Forecast count, Brier score, skill score and reliability bins in one call."""
    return CalibrationFigures(
        forecasts=len(forecasts),
        brier_score=brier_score(forecasts, outcomes),
        brier_skill_score=brier_skill_score(forecasts, outcomes),
        bins=reliability_bins(forecasts, outcomes),
    )


def utc_quarter(at: datetime) -> str:
    """The UTC calendar quarter of an aware time, e.g. ``"2026-Q3"``."""
    if at.tzinfo is None:
        raise ValueError("the time must carry a zone")
    utc = at.astimezone(UTC)
    return f"{utc.year}-Q{(utc.month - 1) // 3 + 1}"
