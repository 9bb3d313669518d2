"""The statistics core against reference implementations, closed forms and worked examples.

References: SciPy's ``beta`` and ``kendalltau``, the ``krippendorff`` package, and the
worked example of Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability".
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from analytics.statistics import (
    AlignmentFigures,
    alignment_figures,
    beta_support,
    beta_supports,
    bootstrap_alpha,
    evidence_weight,
    kendall_tau_b,
    krippendorff_alpha_interval,
    mean_absolute_difference,
    noisy_or,
    pairable_units,
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


def close(actual: float, expected: float, tol: float = 1e-9) -> bool:
    """Within ``tol`` absolutely, and relatively once the values are small.

    Posterior tail probabilities go down to 1e-270, where an absolute tolerance would
    accept any answer at all.
    """
    return actual == expected or abs(actual - expected) <= tol * min(1.0, abs(expected))


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


# ---------------------------------------------------------------------------------------
# evidence_weight and noisy_or
# ---------------------------------------------------------------------------------------


def test_evidence_weight_halves_every_half_life() -> None:
    assert evidence_weight(0.8, 1.0, 0.0) == pytest.approx(0.8)
    assert evidence_weight(0.8, 1.0, 365.0) == pytest.approx(0.4)
    assert evidence_weight(0.8, 1.0, 730.0) == pytest.approx(0.2)
    assert evidence_weight(0.9, 0.5, 30.0, half_life_days=30.0) == pytest.approx(0.225)


def test_evidence_from_the_future_counts_as_new() -> None:
    assert evidence_weight(0.6, 0.5, -10.0) == evidence_weight(0.6, 0.5, 0.0) == 0.3


@FAST
@given(
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 10_000),
    st.floats(0, 10_000),
)
def test_evidence_weight_never_grows_with_age(
    reliability: float, strength: float, age: float, more: float
) -> None:
    older = evidence_weight(reliability, strength, age + more)
    newer = evidence_weight(reliability, strength, age)
    assert 0.0 <= older <= newer <= reliability * strength


@pytest.mark.parametrize(
    ("reliability", "strength", "age", "half_life"),
    [
        (1.2, 1.0, 0.0, 365.0),
        (0.5, -0.1, 0.0, 365.0),
        (0.5, 1.0, 0.0, 0.0),
        (0.5, 1.0, math.nan, 1),
    ],
)
def test_evidence_weight_rejects_nonsense(
    reliability: float, strength: float, age: float, half_life: float
) -> None:
    with pytest.raises(ValueError):
        evidence_weight(reliability, strength, age, half_life)


weights = st.lists(st.floats(0, 1), max_size=30)


@FAST
@given(st.data(), weights)
def test_noisy_or_ignores_order_exactly(data: st.DataObject, ws: list[float]) -> None:
    shuffled = data.draw(st.permutations(ws))
    assert noisy_or(shuffled) == noisy_or(ws)


@FAST
@given(weights)
def test_noisy_or_is_a_probability_at_least_the_largest_weight(ws: list[float]) -> None:
    combined = noisy_or(ws)
    assert 0.0 <= combined <= 1.0
    if ws:
        assert combined >= max(ws) * (1 - 1e-12)
        assert combined == pytest.approx(1 - math.prod(1 - w for w in ws), abs=1e-12)


@FAST
@given(st.floats(0, 1))
def test_noisy_or_of_one_item_is_its_weight(w: float) -> None:
    assert noisy_or([w]) == pytest.approx(w, rel=1e-12, abs=1e-300)


def test_noisy_or_caps_one_loud_account() -> None:
    assert noisy_or([]) == 0.0
    assert noisy_or([0.5, 0.5]) == pytest.approx(0.75)
    assert noisy_or([0.6] * 1000) == 1.0  # a thousand tickets still count as one source
    assert noisy_or([0.2, 1.0, 0.3]) == 1.0
    # A weight decayed over decades survives instead of rounding to 1 - 1 = 0.
    assert noisy_or([1e-20]) == pytest.approx(1e-20)
    with pytest.raises(ValueError):
        noisy_or([0.5, 1.5])


# ---------------------------------------------------------------------------------------
# beta_support
# ---------------------------------------------------------------------------------------

evidence_mass = st.one_of(st.integers(0, 50).map(float), st.floats(0, 500))


@FAST
@given(evidence_mass, evidence_mass)
def test_beta_support_matches_scipy(s: float, c: float) -> None:
    posterior = stats.beta(1 + s, 1 + c)
    result = beta_support(s, c)
    assert close(result.mean, float(posterior.mean()))
    assert close(result.low, float(posterior.ppf(0.05)))
    assert close(result.high, float(posterior.ppf(0.95)))
    assert close(result.confidence, float(posterior.sf(0.5)))
    assert result.low < result.mean < result.high


@FAST
@given(evidence_mass, evidence_mass, st.floats(0.5, 0.99))
def test_beta_interval_at_other_levels_matches_scipy(s: float, c: float, level: float) -> None:
    result = beta_support(s, c, level=level)
    low, high = stats.beta(1 + s, 1 + c).interval(level)
    assert close(result.low, float(low))
    assert close(result.high, float(high))


@FAST
@given(
    st.lists(st.tuples(evidence_mass, evidence_mass), max_size=20),
    st.floats(0.5, 0.99),
    st.sampled_from([(0.95, 0.05), (0.9, 0.2)]),
)
def test_many_posteriors_at_once_are_each_the_single_one(
    pairs: list[tuple[float, float]], level: float, thresholds: tuple[float, float]
) -> None:
    # The whole model's support is computed in one pass; every figure and status must be
    # exactly what one proposition alone gets.
    validated_at, refuted_at = thresholds
    many = beta_supports(
        [s for s, _ in pairs],
        [c for _, c in pairs],
        level=level,
        validated_at=validated_at,
        refuted_at=refuted_at,
    )
    assert many == [
        beta_support(s, c, level=level, validated_at=validated_at, refuted_at=refuted_at)
        for s, c in pairs
    ]


def test_many_posteriors_refuse_bad_weights() -> None:
    with pytest.raises(ValueError, match="contradicting must be a finite number, got nan"):
        beta_supports([1.0, 2.0], [0.0, math.nan])
    with pytest.raises(ValueError, match="non-negative"):
        beta_supports([1.0, -2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="one weight per proposition"):
        beta_supports([1.0], [0.0, 1.0])


def test_uniform_prior_without_evidence() -> None:
    result = beta_support(0.0, 0.0)
    assert result.mean == 0.5
    assert result.low == pytest.approx(0.05, abs=1e-12)
    assert result.high == pytest.approx(0.95, abs=1e-12)
    assert result.confidence == pytest.approx(0.5, abs=1e-15)
    assert result.status == "UNKNOWN"
    assert result.evidence_mass == 0.0


@FAST
@given(st.floats(0, 200))
def test_closed_form_for_supporting_evidence_only(s: float) -> None:
    # Beta(a, 1) has cdf x^a: quantiles q^(1/a) and P(θ > 0.5) = 1 - 0.5^a.
    a = 1.0 + s
    result = beta_support(s, 0.0)
    assert result.mean == pytest.approx(a / (a + 1), rel=1e-12)
    assert result.low == pytest.approx(0.05 ** (1 / a), rel=1e-9)
    assert result.high == pytest.approx(0.95 ** (1 / a), rel=1e-9)
    assert result.confidence == pytest.approx(1 - 0.5**a, rel=1e-9)


@FAST
@given(st.floats(0, 900))
def test_closed_form_for_contradicting_evidence_only(c: float) -> None:
    # Beta(1, b): P(θ > 0.5) = 0.5^b, which reaches 1e-271 at b = 900. Only the
    # complementary function keeps it; 1 - cdf would give exactly 0.
    b = 1.0 + c
    result = beta_support(0.0, c)
    assert result.confidence == pytest.approx(0.5**b, rel=1e-9)
    assert result.confidence > 0.0
    assert result.low == pytest.approx(1 - 0.95 ** (1 / b), rel=1e-9)
    assert result.high == pytest.approx(1 - 0.05 ** (1 / b), rel=1e-9)


@FAST
@given(evidence_mass, evidence_mass)
def test_status_follows_its_definition(s: float, c: float) -> None:
    result = beta_support(s, c)
    if result.confidence >= 0.95:
        assert result.status == "VALIDATED"
    elif result.confidence <= 0.05:
        assert result.status == "REFUTED"
    elif s >= 1 and c >= 1:
        assert result.status == "CONTESTED"
    else:
        assert result.status == "UNKNOWN"


@FAST
@given(evidence_mass, evidence_mass)
def test_validated_exactly_when_the_90_percent_interval_excludes_one_half(
    s: float, c: float
) -> None:
    result = beta_support(s, c)
    # Away from the boundary itself, where the last bit of rounding may decide.
    assume(abs(result.low - 0.5) > 1e-9 and abs(result.high - 0.5) > 1e-9)
    assert (result.status == "VALIDATED") == (result.low > 0.5)
    assert (result.status == "REFUTED") == (result.high < 0.5)


def test_status_thresholds() -> None:
    # Beta(a, 1): confidence 1 - 0.5^a crosses 0.95 at a = log2(20).
    boundary = math.log2(20) - 1
    assert beta_support(boundary + 1e-6, 0).status == "VALIDATED"
    assert beta_support(boundary - 1e-6, 0).status == "UNKNOWN"
    assert beta_support(0, boundary + 1e-6).status == "REFUTED"
    assert beta_support(0, boundary - 1e-6).status == "UNKNOWN"
    assert beta_support(2, 2).status == "CONTESTED"
    assert beta_support(6, 1).status == "VALIDATED"  # contradicted a little, still validated
    assert beta_support(0.9, 0.9).status == "UNKNOWN"  # too thin to be contested
    assert beta_support(3, 1, validated_at=0.8).status == "VALIDATED"


@pytest.mark.parametrize(
    ("s", "c", "kwargs"),
    [
        (-1.0, 0.0, {}),
        (0.0, math.inf, {}),
        (1.0, 1.0, {"level": 1.0}),
        (1, 1, {"refuted_at": 0.99}),
    ],
)
def test_beta_support_rejects_nonsense(s: float, c: float, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        beta_support(s, c, **kwargs)


# ---------------------------------------------------------------------------------------
# kendall_tau_b
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# Krippendorff's alpha, interval metric
# ---------------------------------------------------------------------------------------


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
    assert alignment_figures([]) == AlignmentFigures(None, None, None, None, 0)
