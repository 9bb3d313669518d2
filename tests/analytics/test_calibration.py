"""Brier score, skill score and reliability bins against scikit-learn and by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss

from analytics.calibration import (
    bin_index,
    brier_score,
    brier_skill_score,
    calibration_figures,
    reliability_bins,
    utc_quarter,
)

FAST = settings(max_examples=200, deadline=None)

forecast_pairs = st.lists(
    st.tuples(st.floats(0.0, 1.0), st.integers(0, 1)), min_size=1, max_size=60
)


@FAST
@given(forecast_pairs)
def test_brier_score_is_scikit_learns(pairs: list[tuple[float, int]]) -> None:
    ps = [p for p, _ in pairs]
    outcomes = [o for _, o in pairs]
    expected = brier_score_loss(outcomes, ps, pos_label=1)
    assert brier_score(ps, outcomes) == pytest.approx(expected, abs=1e-12, rel=0)


def test_brier_score_on_generated_data_is_scikit_learns() -> None:
    rng = np.random.default_rng(0)
    ps = rng.uniform(0, 1, 5000)
    outcomes = (rng.uniform(0, 1, 5000) < ps).astype(int)
    expected = brier_score_loss(outcomes, ps)
    assert abs(brier_score(ps.tolist(), outcomes.tolist()) - expected) <= 1e-12


@FAST
@given(forecast_pairs)
def test_skill_score_is_one_minus_brier_over_the_base_rates_brier(
    pairs: list[tuple[float, int]],
) -> None:
    ps = [p for p, _ in pairs]
    outcomes = [o for _, o in pairs]
    base = sum(outcomes) / len(outcomes)
    skill = brier_skill_score(ps, outcomes)
    if base in (0.0, 1.0):
        assert skill is None
        return
    # The reference forecast: the base rate itself, for every proposition.
    reference = brier_score_loss(outcomes, [base] * len(outcomes))
    expected = 1.0 - brier_score_loss(outcomes, ps) / reference
    assert skill == pytest.approx(expected, abs=1e-9)
    assert skill is not None and skill <= 1.0


def test_skill_score_worked_example() -> None:
    # Four forecasts 0.9, 0.8, 0.3, 0.6 on outcomes 1, 1, 0, 0: BS = (0.01 + 0.04 + 0.09
    # + 0.36) / 4 = 0.125; ō = 0.5, reference 0.25, skill 1 - 0.125 / 0.25 = 0.5.
    assert brier_score([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0]) == pytest.approx(0.125, abs=1e-15)
    assert brier_skill_score([0.9, 0.8, 0.3, 0.6], [1, 1, 0, 0]) == pytest.approx(0.5, abs=1e-15)


def test_no_forecasts_have_no_score_and_empty_bins() -> None:
    figures = calibration_figures([], [])
    assert figures.forecasts == 0
    assert figures.brier_score is None and figures.brier_skill_score is None
    assert [b.count for b in figures.bins] == [0] * 10
    assert all(b.mean_forecast is None and b.observed_frequency is None for b in figures.bins)


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0, 0), (0.05, 0), (0.1, 1), (0.3, 3), (0.7, 7), (0.7 - 1e-12, 7), (0.95, 9), (1.0, 9)],
)
def test_bin_of_a_forecast(p: float, expected: int) -> None:
    assert bin_index(p) == expected


@FAST
@given(forecast_pairs)
def test_bins_partition_the_forecasts(pairs: list[tuple[float, int]]) -> None:
    ps = [p for p, _ in pairs]
    outcomes = [o for _, o in pairs]
    bins = reliability_bins(ps, outcomes)
    assert sum(b.count for b in bins) == len(ps)
    for i, b in enumerate(bins):
        assert (b.low, b.high) == (i / 10, (i + 1) / 10)
        inside = [(p, o) for p, o in pairs if bin_index(p) == i]
        assert b.count == len(inside)
        if inside:
            assert b.mean_forecast == pytest.approx(math.fsum(p for p, _ in inside) / len(inside))
            assert b.observed_frequency == sum(o for _, o in inside) / len(inside)
            assert b.low - 1e-9 <= b.mean_forecast <= b.high  # type: ignore[operator]


@pytest.mark.parametrize(
    ("ps", "outcomes", "message"),
    [
        ([0.5], [], "pair up"),
        ([1.5], [1], r"\[0, 1\]"),
        ([math.nan], [1], "finite"),
        ([0.5], [2], "0 or 1"),
    ],
)
def test_bad_forecasts_are_refused(ps: list[float], outcomes: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        brier_score(ps, outcomes)


def test_quarters_are_utc() -> None:
    assert utc_quarter(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "2026-Q1"
    assert (
        utc_quarter(datetime(2026, 4, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))) == "2026-Q1"
    )
    assert utc_quarter(datetime(2026, 12, 31, tzinfo=UTC)) == "2026-Q4"
    with pytest.raises(ValueError, match="zone"):
        utc_quarter(datetime(2026, 1, 1))
