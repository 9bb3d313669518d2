"""The HTML report's heatmap and trend: coloured by gap as the workshop page colours them, and
a first snapshot said in words rather than drawn as a lone dot."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from graph.snapshots.export import charts, heatmap

WEB = Path(__file__).resolve().parents[3] / "web"


def _heat(**cells: float) -> dict[str, Any]:
    return {
        "functions": sorted(cells),
        "rows": [
            {
                "proposition_id": "prop-1",
                "text": "Ops EXPERIENCES Slow setup",
                "relation": "EXPERIENCES",
                "subject": "Ops",
                "object": "Slow setup",
                "confidence": 0.2,
                "mass": 6.0,
                "status": "CONTESTED",
                "cells": cells,
            },
            {
                "proposition_id": "prop-2",
                "text": "Guided setup RELIEVES Slow setup",
                "relation": "RELIEVES",
                "subject": "Guided setup",
                "object": "Slow setup",
                "confidence": 0.5,
                "mass": 0.2,  # too little evidence to compare
                "status": "UNKNOWN",
                "cells": cells,
            },
        ],
    }


def _classes(html: str) -> list[str]:
    return re.findall(r'<td class="cell ([a-z0-9]+)', html)


def test_cells_are_coloured_by_their_gap_to_the_evidence() -> None:
    # Evidence 0.2: 0.9 is 0.7 above it, 0.35 a little above, 0.2 in line.
    html = heatmap.table(_heat(engineering=0.9, leadership=0.35, marketing=0.2))
    first, second = html.split("</tr>")[1:3]
    assert _classes(first) == ["over3", "over1", "even"]
    assert "▲" in first and first.count("▲") == 1  # only the significant gap has an arrow
    assert _classes(second) == ["nocmp", "nocmp", "nocmp"]
    assert "Ops experience “Slow setup”" in first
    assert "“Guided setup” relieves “Slow setup”" in second
    # Wide apart: the same p read as a probability would colour 0.9 and 0.35 alike (blue).
    assert heatmap.gap_class(-0.6) == "under3" and heatmap.gap_class(None) == "nocmp"


def test_the_legend_names_every_colour_the_cells_use() -> None:
    legend = heatmap.legend(0.25)
    for name in heatmap.GAP_COLOURS:
        assert f'class="chip {name}"' in legend
    assert 'class="chip nocmp"' in legend and "gap ≥ 0.25" in legend


def test_the_report_copies_the_workshop_colours_exactly() -> None:
    css = (WEB / "workshop.css").read_text(encoding="utf-8")
    page = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6});", css))
    for name, (fill, _, _) in heatmap.GAP_COLOURS.items():
        assert page[name].lower() == fill, name
    for status, (_, _, colour) in heatmap.STATUS.items():
        assert page[status.lower()].lower() == colour, status
    script = (WEB / "heatmap.js").read_text(encoding="utf-8")
    bounds = re.findall(r"if \(gap (>=|>) (-?[0-9.]+)\) return \"([a-z0-9]+)\"", script)
    assert len(bounds) == 6
    for op, bound, name in bounds:
        # ">=": the bound itself is in the class; ">": only what lies above it.
        value = float(bound)
        assert heatmap.gap_class(value + 1e-9) == name, (op, bound)
        assert (heatmap.gap_class(value) == name) == (op == ">="), (op, bound)
        assert heatmap.gap_class(value - 1e-9) != name, (op, bound)


def test_a_first_snapshot_says_there_is_nothing_to_compare() -> None:
    point = {"id": "snap-1", "label": "Kick-off", "as_of": "2026-11-22T00:00:00+00:00"}
    drawn = charts.alignment_history([{**point, "alpha": 0.21}], "snap-1")
    assert "<circle" not in drawn
    assert "nothing to compare" in drawn and "Kick-off" in drawn and "0.21" in drawn


def test_trend_names_stay_inside_the_chart_and_apart() -> None:
    points = [
        {
            "id": f"snap-{n}",
            "label": f"Quarterly review number {n}",
            "as_of": f"2026-{n + 1:02d}-01T00:00:00+00:00",
            "alpha": 0.1 * n,
        }
        for n in range(9)
    ]
    drawn = charts.alignment_history(points, "snap-8")
    width = float(re.search(r'viewBox="0 0 ([0-9.]+)', drawn)[1])  # type: ignore[index]
    names = re.findall(r'<text class="name" x="([0-9.]+)"[^>]*>([^<]*)</text>', drawn)
    assert names and names[-1][1].startswith("Quarterly review")  # this snapshot is named
    spans = [(float(x) - 3.25 * len(t), float(x) + 3.25 * len(t)) for x, t in names]
    assert all(left >= 0 and right <= width for left, right in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
