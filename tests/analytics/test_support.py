"""The Beta posterior of support against SciPy's ``beta`` and closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from analytics.support import beta_support, beta_supports, support_statuses

FAST = settings(max_examples=200, deadline=None)


def close(actual: float, expected: float, tol: float = 1e-9) -> bool:
    """Within ``tol`` absolutely, and relatively once the values are small.

    Posterior tail probabilities go down to 1e-270, where an absolute tolerance would
    accept any answer at all.
    """
    return actual == expected or abs(actual - expected) <= tol * min(1.0, abs(expected))


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


@FAST
@given(st.lists(st.tuples(evidence_mass, evidence_mass), max_size=20))
def test_statuses_alone_are_those_of_the_full_posteriors(pairs: list[tuple[float, float]]) -> None:
    s = [a for a, _ in pairs]
    c = [b for _, b in pairs]
    assert support_statuses(s, c) == [p.status for p in beta_supports(s, c)]
