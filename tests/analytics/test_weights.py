"""Evidence weights against closed forms: decay by half-life, and noisy-OR per source."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.weights import evidence_weight, noisy_or

FAST = settings(max_examples=200, deadline=None)


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
