"""Kendall's tau-b against SciPy's ``kendalltau``."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analytics.ranking import kendall_tau_b

FAST = settings(max_examples=200, deadline=None)


def scipy_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.kendalltau(x, y).statistic)  # tau-b is SciPy's default


@FAST
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=25))
def test_tau_b_matches_scipy_with_many_ties(pairs: list[tuple[int, int]]) -> None:
    x = [float(a) for a, _ in pairs]
    y = [float(b) for _, b in pairs]
    ours = kendall_tau_b(x, y)
    if len(pairs) < 3:
        assert ours is None
        return
    expected = scipy_tau_b(x, y)
    if math.isnan(expected):
        assert ours is None
    else:
        assert ours is not None
        assert abs(ours - expected) <= 1e-9


@FAST
@given(st.lists(st.tuples(st.floats(0, 25), st.floats(0, 1)), min_size=3, max_size=25))
def test_tau_b_matches_scipy_on_scores(pairs: list[tuple[float, float]]) -> None:
    x = [a for a, _ in pairs]
    y = [b for _, b in pairs]
    ours = kendall_tau_b(x, y)
    expected = scipy_tau_b(x, y)
    if math.isnan(expected):
        assert ours is None
    else:
        assert ours is not None
        assert abs(ours - expected) <= 1e-9


def test_tau_b_known_values_and_undefined_cases() -> None:
    assert kendall_tau_b([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # One tie on each side: (n_c - n_d) = 4, untied pairs 5 and 5.
    assert kendall_tau_b([1, 2, 2, 3], [1, 1, 2, 3]) == pytest.approx(4 / 5)
    assert kendall_tau_b([], []) is None
    assert kendall_tau_b([1, 2], [1, 2]) is None  # fewer than 3 items
    assert kendall_tau_b([3, 3, 3], [1, 2, 3]) is None  # one side constant
    assert kendall_tau_b([1, 2, 3], [5, 5, 5]) is None
    with pytest.raises(ValueError):
        kendall_tau_b([1, 2, 3], [1, 2])
