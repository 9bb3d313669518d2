"""Krippendorff's interval alpha, its bootstrap interval and the mean absolute difference
against the ``krippendorff`` package and the worked example of Krippendorff (2011),
"Computing Krippendorff's Alpha-Reliability".
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.agreement import (
    AlignmentFigures,
    alignment_figures,
    bootstrap_alpha,
    krippendorff_alpha_interval,
    mean_absolute_difference,
    pairable_units,
    point_figures,
)

FAST = settings(max_examples=200, deadline=None)

Matrix = list[list[float | None]]

# Krippendorff (2011), section C: four observers, twelve units, None = missing.
# Its interval alpha is 0.849.
KRIPPENDORFF_2011: Matrix = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def as_array(data: Sequence[Sequence[float | None]]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)


def reference_alpha(data: Sequence[Sequence[float | None]]) -> float | None:
    """The ``krippendorff`` package's interval alpha; None where it finds alpha undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            value = float(
                krippendorff.alpha(reliability_data=as_array(data), level_of_measurement="interval")
            )
        except ValueError:  # no pairable unit, or a single value in the whole domain
            return None
    return None if math.isnan(value) else value


def test_krippendorff_2011_worked_example() -> None:
    alpha = krippendorff_alpha_interval(KRIPPENDORFF_2011)
    assert alpha is not None
    assert round(alpha, 3) == 0.849
    reference = reference_alpha(KRIPPENDORFF_2011)
    assert reference is not None
    assert abs(alpha - reference) <= 1e-12
    assert pairable_units(KRIPPENDORFF_2011) == 11  # the last unit has a single value


def test_alpha_by_hand() -> None:
    # Two coders who swap their answers: D_o = 1, D_e = 2/3, alpha = 1 - 3/2.
    assert krippendorff_alpha_interval([[1, 2], [2, 1]]) == pytest.approx(-0.5)
    assert krippendorff_alpha_interval([[0.1, 0.5, 0.9], [0.1, 0.5, 0.9]]) == 1.0


def coders_by_units(values: st.SearchStrategy[float | None]) -> st.SearchStrategy[Matrix]:
    return st.integers(2, 6).flatmap(
        lambda coders: st.integers(1, 12).flatmap(
            lambda units: st.lists(
                st.lists(values, min_size=units, max_size=units),
                min_size=coders,
                max_size=coders,
            )
        )
    )


scale_values = st.one_of(st.none(), st.integers(1, 5).map(float))
belief_values = st.one_of(st.none(), st.integers(0, 20).map(lambda k: k / 20))
# Values closer to 0 than 1e-100 are left out: their squared differences underflow in
# the package (it then answers NaN or a wrong alpha), while ours rescales first; see
# test_alpha_ignores_the_unit_of_measurement.
any_values = st.one_of(st.none(), st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) > 1e-100))


@FAST
@given(st.one_of(coders_by_units(scale_values), coders_by_units(belief_values)))
def test_alpha_matches_the_krippendorff_package(data: Matrix) -> None:
    check_against_package(data)


@FAST
@given(coders_by_units(any_values))
def test_alpha_matches_the_krippendorff_package_on_arbitrary_reals(data: Matrix) -> None:
    check_against_package(data)


def check_against_package(data: Matrix) -> None:
    ours = krippendorff_alpha_interval(data)
    expected = reference_alpha(data)
    if expected is None:
        assert ours is None
    else:
        assert ours is not None
        # Alpha is unbounded below when the values barely vary: compare relatively then.
        assert abs(ours - expected) <= 1e-9 * max(1.0, abs(expected))


@FAST
@given(
    coders_by_units(belief_values),
    st.sampled_from([1e-200, 1e-3, 3.0, 1e200]),
    st.floats(-100, 100),
)
def test_alpha_ignores_the_unit_of_measurement(data: Matrix, scale: float, shift: float) -> None:
    # The interval metric's alpha is invariant under v -> a·v + b (a != 0).
    alpha = krippendorff_alpha_interval(data)
    scaled = krippendorff_alpha_interval(
        [[None if v is None else v * scale for v in row] for row in data]
    )
    shifted = krippendorff_alpha_interval(
        [[None if v is None else v + shift for v in row] for row in data]
    )
    if alpha is None:
        assert scaled is None
    else:
        assert scaled == pytest.approx(alpha, rel=1e-9, abs=1e-9)
        # Shifting by up to 100 costs some digits of values that are multiples of 0.05.
        assert shifted == pytest.approx(alpha, rel=1e-9, abs=1e-9)


def test_alpha_is_undefined_without_variation() -> None:
    assert krippendorff_alpha_interval([[0.7, 0.7, None], [0.7, 0.7, 0.2]]) is None
    assert krippendorff_alpha_interval([[0.1, 0.1, 0.1], [0.1, 0.1, 0.1]]) is None
    assert krippendorff_alpha_interval([[0.3, None], [None, 0.9]]) is None  # nothing pairable
    assert krippendorff_alpha_interval([]) is None
    assert pairable_units([]) == 0


def test_nan_counts_as_missing_and_ragged_rows_are_refused() -> None:
    with_nan: Matrix = [[1, 2, math.nan], [2, 1, 3]]
    assert krippendorff_alpha_interval(with_nan) == krippendorff_alpha_interval(
        [[1, 2, None], [2, 1, 3]]
    )
    with pytest.raises(ValueError):
        krippendorff_alpha_interval([[1, 2, 3], [1, 2]])
    with pytest.raises(ValueError):
        krippendorff_alpha_interval([[1, math.inf], [1, 2]])


def brute_mean_absolute_difference(data: Matrix) -> float | None:
    per_unit = []
    for column in zip(*data, strict=True):
        values = [v for v in column if v is not None]
        if len(values) >= 2:
            pairs = list(itertools.combinations(values, 2))
            per_unit.append(sum(abs(a - b) for a, b in pairs) / len(pairs))
    return sum(per_unit) / len(per_unit) if per_unit else None


def test_mean_absolute_difference_by_hand() -> None:
    data: Matrix = [[0.8, 0.9, None], [0.6, 0.9, 0.5], [None, 0.3, None]]
    # Unit 1: |0.8 - 0.6| = 0.2; unit 2: pairs 0, 0.6, 0.6 -> 0.4; unit 3 is not pairable.
    assert mean_absolute_difference(data) == pytest.approx(0.3)
    assert pairable_units(data) == 2
    assert mean_absolute_difference([[0.3, None], [None, 0.9]]) is None


@FAST
@given(coders_by_units(belief_values))
def test_mean_absolute_difference_matches_brute_force(data: Matrix) -> None:
    expected = brute_mean_absolute_difference(data)
    ours = mean_absolute_difference(data)
    if expected is None:
        assert ours is None
    else:
        assert ours == pytest.approx(expected, abs=1e-12)


# Beliefs that all sit between 0.8 and 0.9: functions broadly agree, yet alpha is
# negative because what little variation there is runs across functions, not
# propositions. This is why the mean absolute difference is reported beside alpha.
NARROW_AGREEMENT: Matrix = [
    [0.80, 0.90, 0.85, 0.90, 0.85, 0.80, 0.90],
    [0.90, 0.80, 0.85, 0.85, 0.90, 0.85, 0.80],
    [0.85, 0.85, 0.80, 0.90, 0.80, 0.90, 0.85],
]


def test_alpha_can_mislead_when_answers_barely_vary() -> None:
    figures = alignment_figures(NARROW_AGREEMENT)
    assert figures.alpha == pytest.approx(-0.25)
    assert figures.alpha_high is not None and figures.alpha_high < 0
    assert figures.mean_abs_difference == pytest.approx(0.4 / 7)


# ---------------------------------------------------------------------------------------
# Bootstrap and the alignment figures
# ---------------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    first = bootstrap_alpha(KRIPPENDORFF_2011, seed=7)
    assert bootstrap_alpha(KRIPPENDORFF_2011, seed=7) == first
    assert bootstrap_alpha(KRIPPENDORFF_2011, seed=8) != first


def test_bootstrap_interval_brackets_alpha_on_the_worked_example() -> None:
    alpha = krippendorff_alpha_interval(KRIPPENDORFF_2011)
    low, high = bootstrap_alpha(KRIPPENDORFF_2011, resamples=2000)
    assert alpha is not None and low is not None and high is not None
    assert low <= alpha <= high
    assert low < high <= 1.0


def test_bootstrap_matches_a_naive_resampling_with_the_package() -> None:
    # Same draws as the implementation (numpy Generator, units drawn with replacement),
    # each resample's alpha computed by the reference package from the resampled matrix.
    data = KRIPPENDORFF_2011
    pairable = [u for u in range(len(data[0])) if sum(row[u] is not None for row in data) >= 2]
    resamples, seed = 300, 3
    draws = np.random.default_rng(seed).integers(0, len(pairable), size=(resamples, len(pairable)))
    alphas = []
    for row in draws:
        columns = [pairable[i] for i in row]
        value = reference_alpha([[coder[u] for u in columns] for coder in data])
        if value is not None:
            alphas.append(value)
    expected_low, expected_high = np.quantile(alphas, [0.025, 0.975])
    low, high = bootstrap_alpha(data, resamples=resamples, seed=seed)
    assert low == pytest.approx(expected_low, abs=1e-9)
    assert high == pytest.approx(expected_high, abs=1e-9)


@FAST
@given(coders_by_units(belief_values), st.integers(0, 2**32 - 1))
def test_bootstrap_interval_is_ordered(data: Matrix, seed: int) -> None:
    low, high = bootstrap_alpha(data, resamples=50, seed=seed)
    if krippendorff_alpha_interval(data) is None:
        assert (low, high) == (None, None)
    elif low is not None and high is not None:
        assert low <= high


def test_alignment_figures_on_the_worked_example() -> None:
    figures = alignment_figures(KRIPPENDORFF_2011, seed=1)
    assert figures.units == 11
    assert figures.alpha == krippendorff_alpha_interval(KRIPPENDORFF_2011)
    assert (figures.alpha_low, figures.alpha_high) == bootstrap_alpha(KRIPPENDORFF_2011, seed=1)
    assert figures.mean_abs_difference == mean_absolute_difference(KRIPPENDORFF_2011)


def test_alignment_figures_need_five_pairable_units() -> None:
    four_units: Matrix = [[0.2, 0.4, 0.6, 0.8, 0.5], [0.3, 0.4, 0.7, 0.9, None]]
    figures = alignment_figures(four_units)
    assert (figures.alpha, figures.alpha_low, figures.alpha_high) == (None, None, None)
    assert figures.units == 4
    assert figures.mean_abs_difference == pytest.approx(0.075)  # (0.1 + 0 + 0.1 + 0.1) / 4
    five_units: Matrix = [[0.2, 0.4, 0.6, 0.8, 0.5], [0.3, 0.4, 0.7, 0.9, 0.4]]
    figures = alignment_figures(five_units)
    assert figures.units == 5
    assert figures.alpha is not None and figures.alpha_low is not None
    assert alignment_figures(four_units, min_units=4).alpha is not None


def test_alignment_figures_without_variation_or_data() -> None:
    same = alignment_figures([[0.9] * 6, [0.9] * 6])
    assert (same.alpha, same.alpha_low, same.alpha_high, same.units) == (None, None, None, 6)
    assert same.mean_abs_difference == 0.0
    # A null alpha says why: perfect agreement is not the same finding as too little data.
    assert same.null_reason == "NO_VARIATION"
    assert alignment_figures([]) == AlignmentFigures(None, None, None, None, 0, "TOO_FEW_UNITS")


def test_a_null_alpha_says_why_and_a_defined_one_has_no_reason() -> None:
    four_units = [[0.2, 0.4, 0.6, 0.8], [0.3, 0.4, 0.7, 0.9]]
    assert alignment_figures(four_units).null_reason == "TOO_FEW_UNITS"
    assert point_figures(four_units).null_reason == "TOO_FEW_UNITS"
    five = [[0.2, 0.4, 0.6, 0.8, 0.5], [0.3, 0.4, 0.7, 0.9, 0.4]]
    assert alignment_figures(five).null_reason is None
    assert point_figures([[0.5] * 5, [0.5] * 5]).null_reason == "NO_VARIATION"
