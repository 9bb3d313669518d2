"""Snapshot reports carry each function's calibration, and diffs say how it moved."""

from __future__ import annotations

from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots import diff, store
from graph.snapshots.export import calibration, html, markdown
from graph.snapshots.export.words import gap_sentence
from graph.snapshots.figures import figures_for
from schema.models import Actor
from tests.graph.calibration_history import DAY, T0, resolved_history


def _figures(**brier: tuple[float | None, int]) -> dict[str, object]:
    return {
        "calibration": [
            {"function": f, "brier_score": b, "forecasts": n, "brier_skill_score": None}
            for f, (b, n) in brier.items()
        ]
    }


def test_diff_sentences_say_improved_worsened_or_steady() -> None:
    before = _figures(marketing=(0.292, 5), success=(0.02, 4), sales=(0.2, 3), design=(None, 0))
    after = _figures(marketing=(0.2, 12), success=(0.0221, 6), sales=(0.3, 5), design=(0.1, 2))
    assert calibration.changes(before, after) == [
        "marketing's calibration improved from 0.292 to 0.200 (Brier, 5 → 12 forecasts)",
        "success's calibration held steady at 0.022 (Brier)",
        "sales's calibration worsened from 0.200 to 0.300 (Brier, 3 → 5 forecasts)",
    ]
    # A snapshot taken before calibration was reported has no section and no sentence.
    assert calibration.changes({}, after) == []
    assert list(calibration.markdown({}, str)) == []


async def test_snapshot_report_and_diff(db: Database) -> None:
    await resolved_history(db)
    figures_fn = figures_for(EngineSettings())
    early, _ = await store.create(
        db, Actor.system(), figures_fn, label="early", as_of=T0 + 15 * DAY
    )
    late, _ = await store.create(db, Actor.system(), figures_fn, label="late", as_of=T0 + 60 * DAY)
    figures = await store.figures(db, late.id)
    report = "".join(markdown.render(late, figures, quotes=True))
    assert "## Calibration: whose picture has been right" in report
    assert "| success | 2 | 0.010 | 0.96 |" in report
    assert "| marketing | 2 | 0.640 | -1.56 |" in report
    page = "".join(html.render(late, figures, quotes=True))
    assert "<td>success</td><td>2</td><td>0.010</td><td>0.96</td>" in page
    result = await diff.diff(db, early.id, late.id)
    assert "marketing's calibration held steady at 0.640 (Brier)" in result.calibration_changes


def test_a_gap_that_opposes_the_evidence_is_worded_apart() -> None:
    row = {
        "function": "sales",
        "subject": "Mid-market operations teams",
        "relation": "USES",
        "object": "Glasswing BI",
        "p": 0.9,
        "confidence": 0.04,
        "gap": 0.86,
    }
    assert "more sure than the evidence" in gap_sentence(row)
    opposing = gap_sentence({**row, "opposes_evidence": True})
    assert opposing.startswith("Sales expects the opposite of what the evidence says on whether")
    assert "(opposing it, 0.86 apart)" in opposing
