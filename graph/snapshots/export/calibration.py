"""Calibration in snapshot reports and diffs (docs/design.md §2b): each function's Brier and
skill score as of the snapshot, and how they moved from one snapshot to the next ("marketing's
calibration improved from 0.29 to 0.20")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graph.snapshots.export.words import number

# A change in Brier score smaller than this is "about the same" in a diff's sentence.
STEADY = 0.005


def markdown(figures: dict[str, Any], cell: Callable[[object], str]) -> Iterator[str]:
    """The report's calibration section: whose picture of the customer has been right."""
    rows = figures.get("calibration")
    if rows is None:
        return  # a snapshot taken before calibration was reported
    yield "\n## Calibration: whose picture has been right\n\n"
    yield (
        "Each function's beliefs just before the evidence validated or refuted a proposition, "
        "scored: Brier 0 is perfect, 0.25 is always saying 0.5; skill above 0 beats guessing "
        "the base rate.\n\n"
    )
    yield "| function | forecasts | Brier | skill |\n|---|---:|---:|---:|\n"
    for row in rows:
        yield (
            f"| {cell(row['function'])} | {row['forecasts']} | "
            f"{number(row['brier_score'], 3)} | {number(row['brier_skill_score'])} |\n"
        )


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One sentence per function scored in both snapshots: how its calibration moved."""
    old = {r["function"]: r for r in before.get("calibration") or []}
    sentences = []
    for row in after.get("calibration") or []:
        was = old.get(row["function"])
        if was is None or was["brier_score"] is None or row["brier_score"] is None:
            continue
        a, b = float(was["brier_score"]), float(row["brier_score"])
        if abs(b - a) < STEADY:
            verb = "held steady at"
            sentences.append(f"{row['function']}'s calibration {verb} {b:.3f} (Brier)")
            continue
        verb = "improved" if b < a else "worsened"
        sentences.append(
            f"{row['function']}'s calibration {verb} from {a:.3f} to {b:.3f} (Brier, "
            f"{was['forecasts']} → {row['forecasts']} forecasts)"
        )
    return sentences


def html(figures: dict[str, Any], escape: Callable[[object], str]) -> Iterator[str]:
    """The HTML report's calibration section (the same table as the Markdown one)."""
    rows = figures.get("calibration")
    if rows is None:
        return
    yield (
        "<section><h2>Calibration: whose picture has been right</h2><table><thead><tr>"
        "<th>function</th><th>forecasts</th><th>Brier</th><th>skill</th></tr></thead><tbody>"
    )
    for row in rows:
        yield (
            f"<tr><td>{escape(row['function'])}</td><td>{row['forecasts']}</td>"
            f"<td>{number(row['brier_score'], 3)}</td>"
            f"<td>{number(row['brier_skill_score'])}</td></tr>"
        )
    yield (
        "</tbody></table><p>Each function's beliefs just before the evidence validated or "
        "refuted a proposition, scored: Brier 0 is perfect, 0.25 is always saying 0.5; skill "
        "above 0 beats guessing the base rate.</p></section>"
    )
