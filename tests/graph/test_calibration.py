"""Resolution times and forecasts on hand-built histories (no database), then one function's
calibration read back from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.support import beta_support
from graph.calibration import (
    Item,
    Statement,
    event_times,
    forecasts,
    function_calibration,
    masses,
    masses_at,
    resolve,
    score_forecasts,
)
from graph.divergence import EngineSettings
from schema.calibration import Resolution

T0 = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)
SETTINGS = EngineSettings()


def item(
    day: float, supports: bool = True, *, source: str | None = None, **times: datetime
) -> Item:
    at = T0 + day * DAY
    return Item(
        supports=supports,
        base_weight=0.8,
        observed_at=times.get("observed", at),
        counted_from=times.get("counted", at),
        retracted_at=times.get("retracted"),
        source=source or f"ev-{day}-{supports}",
    )


def test_events_are_batches_imports_and_retractions() -> None:
    items = [
        item(1),
        item(1, source="other"),  # the same batch: one event
        item(5, retracted=T0 + 9 * DAY),
        item(20),  # after as-of: no event
    ]
    assert event_times(items, T0 + 10 * DAY) == [T0 + DAY, T0 + 5 * DAY, T0 + 9 * DAY]


def test_resolves_at_the_first_validating_event() -> None:
    # One interview a day: k of them leave P(θ ≤ 0.5) ≈ 0.5^(1 + 0.8k), 0.054 after four
    # and 0.031 after five, so the fifth day's event resolves it.
    items = [item(d) for d in range(1, 6)]
    resolution = resolve("prop-a", items, SETTINGS, T0 + 30 * DAY)
    assert resolution is not None
    assert resolution.outcome == 1 and not resolution.reopened
    s, c = masses(items, resolution.resolved_at, 365.0)
    assert beta_support(s, c).status == "VALIDATED"
    before = resolution.resolved_at - timedelta(microseconds=1)
    assert beta_support(*masses(items, before, 365.0)).status != "VALIDATED"
    assert resolution.resolved_at == T0 + 5 * DAY


def test_decay_between_events_resolves_nothing() -> None:
    # Evidence that was validated at its event stays resolved then; evidence never validated
    # at an event is not resolved by time passing (it only loses weight).
    weak = [item(1), item(2), item(3)]
    assert resolve("prop-b", weak, SETTINGS, T0 + 900 * DAY) is None


def test_a_later_contradiction_reopens_without_undoing() -> None:
    items = [item(d) for d in range(1, 6)] + [
        item(40 + d, supports=False, source=f"c{d}") for d in range(6)
    ]
    resolution = resolve("prop-c", items, SETTINGS, T0 + 60 * DAY)
    assert resolution is not None
    assert (resolution.outcome, resolution.reopened) == (1, True)
    assert resolution.resolved_at == T0 + 5 * DAY


def test_a_retraction_is_an_event_but_does_not_undo_a_resolution() -> None:
    items = [item(d) for d in range(1, 5)] + [item(5, retracted=T0 + 8 * DAY)]
    resolution = resolve("prop-d", items, SETTINGS, T0 + 60 * DAY)
    assert resolution is not None and resolution.resolved_at == T0 + 5 * DAY
    assert resolution.outcome == 1


def test_an_import_counts_from_its_completion() -> None:
    completed = T0 + 12 * DAY
    items = [item(d, counted=completed) for d in range(1, 6)]
    resolution = resolve("prop-e", items, SETTINGS, T0 + 60 * DAY)
    assert resolution is not None and resolution.resolved_at == completed


RESOLVED = T0 + 10 * DAY


def test_a_belief_stated_at_or_after_the_resolving_event_never_counts() -> None:
    statements = [
        Statement("sales", 1, 0.3, T0),
        Statement("sales", 2, 0.9, RESOLVED),  # at the event: too late
        Statement("product", 1, 0.8, RESOLVED - timedelta(microseconds=1)),
        Statement("marketing", 1, 0.95, RESOLVED + DAY),  # after: never
        Statement("design", 1, 0.6, T0),
        Statement("design", 2, None, T0 + DAY),  # withdrawn: no forecast
    ]
    assert forecasts(statements, RESOLVED) == {"sales": 0.3, "product": 0.8}


def test_lead_days_move_the_cutoff_back() -> None:
    statements = [Statement("sales", 1, 0.4, T0), Statement("sales", 2, 0.9, RESOLVED - 2 * DAY)]
    resolution = Resolution(
        proposition_id="prop-f", resolved_at=RESOLVED, outcome=1, reopened=False
    )
    assert [s.p for s in score_forecasts([resolution], {"prop-f": statements}, 0.0)] == [0.9]
    assert [s.p for s in score_forecasts([resolution], {"prop-f": statements}, 3.0)] == [0.4]
    assert score_forecasts([resolution], {"prop-f": statements}, 30.0) == []


def test_function_figures_by_quarter() -> None:
    def resolved(pid: str, at: datetime, outcome: int) -> Resolution:
        return Resolution(proposition_id=pid, resolved_at=at, outcome=outcome, reopened=False)

    history = {
        "p1": [Statement("success", 1, 0.9, T0 - DAY)],
        "p2": [Statement("success", 1, 0.2, T0 - DAY)],
        "p3": [Statement("success", 1, 0.7, T0 - DAY)],
    }
    found = [
        resolved("p1", datetime(2026, 3, 5, tzinfo=UTC), 1),
        resolved("p2", datetime(2026, 3, 31, 23, tzinfo=UTC), 0),
        resolved("p3", datetime(2026, 4, 2, tzinfo=UTC), 1),
    ]
    figures = function_calibration("success", score_forecasts(found, history, 0.0))
    assert figures.forecasts == 3 and figures.outcomes_validated == 2
    assert figures.brier_score == pytest.approx((0.01 + 0.04 + 0.09) / 3)
    assert [(q.quarter, q.forecasts) for q in figures.by_quarter] == [
        ("2026-Q1", 2),
        ("2026-Q2", 1),
    ]
    assert figures.by_quarter[0].brier_score == pytest.approx(0.025)
    assert [b.count for b in figures.bins][7:] == [1, 0, 1]
    nobody = function_calibration("marketing", score_forecasts(found, history, 0.0))
    assert nobody.forecasts == 0 and nobody.brier_score is None and nobody.by_quarter == ()


item_strategy = st.builds(
    Item,
    supports=st.booleans(),
    base_weight=st.floats(0.05, 1.0),
    observed_at=st.integers(0, 400 * 24).map(lambda h: T0 + timedelta(hours=h)),
    counted_from=st.integers(0, 400 * 24).map(lambda h: T0 + timedelta(hours=h)),
    retracted_at=st.one_of(
        st.none(), st.integers(0, 500 * 24).map(lambda h: T0 + timedelta(hours=h))
    ),
    source=st.sampled_from(["acc-a", "acc-b", "key:x", "ev-1", "ev-2", "ev-3"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(item_strategy, max_size=12), st.lists(st.integers(0, 600 * 24), min_size=1))
def test_all_events_at_once_are_each_event_alone(items: list[Item], hours: list[int]) -> None:
    times = [T0 + timedelta(hours=h, microseconds=7) for h in sorted(set(hours))]
    s_at, c_at = masses_at(items, times, 365.0)
    for t, s, c in zip(times, s_at, c_at, strict=True):
        expected_s, expected_c = masses(items, t, 365.0)
        assert s == pytest.approx(expected_s, rel=1e-12, abs=1e-15)
        assert c == pytest.approx(expected_c, rel=1e-12, abs=1e-15)
