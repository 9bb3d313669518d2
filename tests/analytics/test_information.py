"""Value of information and items to validate/refute against SciPy and a Monte Carlo of
the next evidence item."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analytics.information import (
    information_value,
    information_values,
    is_far,
    items_needed,
    research_score,
    values_of_information,
)
from analytics.ranking import score

FAST = settings(max_examples=150, deadline=None)
INTERVIEW = 0.8

mass = st.one_of(st.integers(0, 20).map(float), st.floats(0, 60))
weights = st.floats(0.05, 1.0)


def conf(s: float, c: float) -> float:
    return float(stats.beta(1 + s, 1 + c).sf(0.5))


def direct_voi(s: float, c: float, w: float) -> float:
    m = (1 + s) / (2 + s + c)
    now = conf(s, c)
    return m * abs(conf(s + w, c) - now) + (1 - m) * abs(conf(s, c + w) - now)


def direct_items(s: float, c: float, w: float, *, support: bool) -> int | None:
    for k in range(1001):
        value = conf(s + k * w, c) if support else conf(s, c + k * w)
        if (value >= 0.95) if support else (value <= 0.05):
            return k
    return None


@FAST
@given(mass, mass, weights)
def test_voi_is_the_direct_scipy_computation(s: float, c: float, w: float) -> None:
    assert information_value(s, c, w).value_of_information == pytest.approx(
        direct_voi(s, c, w), abs=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(mass, mass, weights)
def test_items_are_the_direct_scipy_search(s: float, c: float, w: float) -> None:
    found = information_value(s, c, w)
    assert found.items_to_validate == direct_items(s, c, w, support=True)
    assert found.items_to_refute == direct_items(s, c, w, support=False)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(mass, st.floats(0, 1500)), st.one_of(mass, st.floats(0, 1500))),
        min_size=1,
        max_size=8,
    ),
    weights,
)
def test_items_of_many_at_once_are_each_the_direct_search(
    pairs: list[tuple[float, float]], w: float
) -> None:
    # Propositions needing none, a few, hundreds and more than the limit of items, searched
    # together: each must get what the item-by-item search gives it alone.
    to_validate, to_refute = items_needed([s for s, _ in pairs], [c for _, c in pairs], w)
    assert to_validate == [direct_items(s, c, w, support=True) for s, c in pairs]
    assert to_refute == [direct_items(s, c, w, support=False) for s, c in pairs]


@pytest.mark.parametrize(("s", "c"), [(0.0, 0.0), (2.0, 1.0), (0.5, 3.0), (6.0, 6.0), (12.0, 0.3)])
def test_voi_agrees_with_a_monte_carlo_of_the_next_item(s: float, c: float) -> None:
    # Draw the proposition's truth θ from the posterior, then the next interview: it
    # supports with probability θ. The mean shift of confidence must be the VoI.
    rng = np.random.default_rng(7)
    n = 40_000
    theta = rng.beta(1 + s, 1 + c, n)
    supports = rng.uniform(0, 1, n) < theta
    now = conf(s, c)
    shifts = np.where(
        supports, abs(conf(s + INTERVIEW, c) - now), abs(conf(s, c + INTERVIEW) - now)
    )
    standard_error = shifts.std(ddof=1) / math.sqrt(n)
    voi = information_value(s, c, INTERVIEW).value_of_information
    # Where every shift is alike (s = c), the standard error is nil and only rounding is
    # left: SciPy's sf and the product's confidence agree to a few 1e-15.
    assert abs(voi - shifts.mean()) <= 4 * standard_error + 1e-14


@pytest.mark.parametrize(("s", "c"), [(0.0, 0.0), (1.5, 2.0), (0.2, 4.0)])
def test_items_to_validate_agree_with_a_monte_carlo_of_the_posterior(s: float, c: float) -> None:
    # Sample θ from the posterior after k interviews in favour: the share above 0.5
    # reaches 0.95 at k and not at k − 1 (within the sampling error).
    k = information_value(s, c, INTERVIEW).items_to_validate
    assert k is not None and k > 0
    rng = np.random.default_rng(11)
    n = 200_000

    def sampled_confidence(items: int) -> tuple[float, float]:
        draws = rng.beta(1 + s + items * INTERVIEW, 1 + c, n) > 0.5
        share = float(draws.mean())
        return share, math.sqrt(share * (1 - share) / n)

    at_k, se_k = sampled_confidence(k)
    before, se_before = sampled_confidence(k - 1)
    assert at_k >= 0.95 - 4 * se_k
    assert before < 0.95 + 4 * se_before


def test_worked_example_with_no_evidence() -> None:
    # Beta(1, 1): confidence 0.5. One interview (w = 0.8) in favour: Beta(1.8, 1), whose
    # P(θ > 0.5) = 1 − 0.5^1.8; against: 0.5^1.8. m = 0.5, so VoI = 0.5 − 0.5^1.8.
    found = information_value(0.0, 0.0, INTERVIEW)
    assert found.value_of_information == pytest.approx(0.5 - 0.5**1.8, abs=1e-15)
    # k in favour leave P(θ ≤ 0.5) = 0.5^(1 + 0.8k): 0.054 at k = 4, 0.031 at k = 5.
    assert found.items_to_validate == 5
    assert found.items_to_refute == 5


def test_already_validated_needs_nothing_more_and_far_out_is_unknown() -> None:
    validated = information_value(10.0, 0.0, INTERVIEW)
    assert validated.items_to_validate == 0
    assert validated.items_to_refute is not None and validated.items_to_refute > 0
    overwhelming = information_value(5000.0, 0.0, INTERVIEW)
    assert overwhelming.items_to_refute is None  # more than 1,000 items
    # 900 in favour take 972 against: still within the limit.
    assert information_value(900.0, 0.0, 1.0).items_to_refute == 972
    assert direct_items(900.0, 0.0, 1.0, support=False) == 972


@FAST
@given(mass, mass, weights)
def test_voi_is_a_probability_shift_and_symmetric(s: float, c: float, w: float) -> None:
    (voi,) = values_of_information([s], [c], w)
    (mirror,) = values_of_information([c], [s], w)
    assert 0.0 <= voi <= 1.0
    assert voi == pytest.approx(mirror, abs=1e-12)


@FAST
@given(st.lists(st.tuples(mass, mass), max_size=12), weights)
def test_many_at_once_are_each_the_single_one(pairs: list[tuple[float, float]], w: float) -> None:
    many = information_values([s for s, _ in pairs], [c for _, c in pairs], w)
    assert many == [information_value(s, c, w) for s, c in pairs]


@settings(max_examples=60, deadline=None)
@given(mass, mass, weights)
def test_more_evidence_never_needs_more_items(s: float, c: float, w: float) -> None:
    now = information_value(s, c, w)
    after = information_value(s + w, c, w)
    if now.items_to_validate is not None and now.items_to_validate > 0:
        assert after.items_to_validate == now.items_to_validate - 1


def test_research_score_ties_equal_products() -> None:
    assert research_score(0.2, 3.0, 0) == research_score(0.15, 4.0, 0)
    assert research_score(0.1, 3.0, 2) == score(0.9)
    assert is_far(0.75, 0.5) and not is_far(0.74, 0.5)


@pytest.mark.parametrize(
    ("s", "c", "w", "message"),
    [
        (-1.0, 0.0, 0.8, "non-negative"),
        (math.inf, 0.0, 0.8, "finite"),
        (0.0, 0.0, 0.0, r"\(0, 1\]"),
    ],
)
def test_bad_input_is_refused(s: float, c: float, w: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        information_value(s, c, w)
