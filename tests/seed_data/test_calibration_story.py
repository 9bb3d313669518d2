"""The demo company's calibration story, from the files alone (no database): resolving the
seed evidence event by event and scoring the belief histories, customer success's picture
has been right and marketing's has not (seed_data/README.md, README "Whose picture has been
right")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph.calibration import Item, Statement, function_calibration, resolve, score_forecasts
from graph.divergence import EngineSettings
from schema.calibration import FunctionCalibration
from schema.vocabulary import DEFAULT_FUNCTIONS, DEFAULT_RELIABILITY

SEED = Path(__file__).resolve().parents[2] / "seed_data"
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def _load(name: str) -> list[dict[str, Any]]:
    with (SEED / name).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    key = name.removesuffix(".yaml")
    rows = data[key]
    assert isinstance(rows, list)
    return rows


def _time(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _key(triple: list[str]) -> str:
    return "|".join(triple)


@pytest.fixture(scope="module")
def calibration() -> dict[str, FunctionCalibration]:
    items: dict[str, list[Item]] = defaultdict(list)
    for ev in _load("evidence.yaml"):
        recorded = _time(ev.get("recorded_at") or ev["observed_at"])
        retraction = ev.get("retracted")
        for bear in ev["bears"]:
            items[_key(bear["proposition"])].append(
                Item(
                    supports=bear["stance"] == "SUPPORTS",
                    base_weight=DEFAULT_RELIABILITY[ev["source_type"]] * bear.get("strength", 1.0),
                    observed_at=_time(ev["observed_at"]),
                    counted_from=recorded,
                    retracted_at=_time(retraction["at"]) if retraction else None,
                    source=ev.get("account") or ev["id"],
                )
            )
    statements: dict[str, list[Statement]] = defaultdict(list)
    stated = sorted(_load("beliefs.yaml"), key=lambda b: _time(b["stated_at"]))
    for seq, b in enumerate(stated, start=1):
        p = None if b.get("withdrawn") else float(b["p"])
        statements[_key(b["proposition"])].append(
            Statement(b["function"], seq, p, _time(b["stated_at"]))
        )
    settings = EngineSettings()
    resolved = [
        r for pid in sorted(items) if (r := resolve(pid, items[pid], settings, AS_OF)) is not None
    ]
    scored = score_forecasts(resolved, statements, 0.0)
    return {f: function_calibration(f, scored) for f in DEFAULT_FUNCTIONS}


def test_success_has_been_right_and_marketing_has_not(
    calibration: dict[str, FunctionCalibration],
) -> None:
    success, marketing = calibration["success"], calibration["marketing"]
    assert success.forecasts >= 15 and marketing.forecasts >= 10
    assert success.brier_score is not None and success.brier_score < 0.05
    assert success.brier_skill_score is not None and success.brier_skill_score > 0.6
    assert marketing.brier_score is not None and marketing.brier_score > 0.2
    assert marketing.brier_skill_score is not None and marketing.brier_skill_score < 0
    # Success is the best calibrated function of all.
    best = min(
        (c for c in calibration.values() if c.brier_score is not None),
        key=lambda c: c.brier_score or 0.0,
    )
    assert best.function == "success"


def test_the_figures_the_readme_prints(calibration: dict[str, FunctionCalibration]) -> None:
    # README: `commonground calibration --as-of 2026-11-22`.
    assert (
        calibration["success"].forecasts,
        round(calibration["success"].brier_score or 0, 3),
    ) == (
        19,
        0.027,
    )
    assert (
        calibration["marketing"].forecasts,
        round(calibration["marketing"].brier_score or 0, 3),
    ) == (15, 0.267)
