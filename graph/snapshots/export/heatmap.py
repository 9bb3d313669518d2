"""The report's function × proposition heatmap: an HTML table that reads like the workshop's.

Each cell is a function's belief p, coloured by its gap to the evidence with the workshop
page's scale (orange: more sure than the evidence, purple: less sure, hatched: too little
evidence to compare), an arrow marking a significant gap. A table rather than a drawing, so
long sentences wrap in their row and column headers never run into each other.
"""

from __future__ import annotations

from html import escape
from typing import Any

from graph.snapshots.export.words import number, proposition

INK = "#1d2430"
WHITE = "#ffffff"

# The workshop page's gap colours (web/workshop.css --over3 … --under3, applied by gapClass
# in web/heatmap.js), copied so a report and the page colour a gap alike. Change both
# together. Each class: its fill, its text colour and its legend words.
GAP_COLOURS: dict[str, tuple[str, str, str]] = {
    "over3": ("#b35806", WHITE, "▲ much more sure"),
    "over2": ("#f1a340", INK, "more sure"),
    "over1": ("#fee0b6", INK, "a little more sure"),
    "even": ("#f4f4f4", INK, "in line"),
    "under1": ("#d8daeb", INK, "a little less sure"),
    "under2": ("#998ec3", WHITE, "less sure"),
    "under3": ("#542788", WHITE, "▼ much less sure"),
}
NO_COMPARISON = "repeating-linear-gradient(135deg, #eceef1 0 5px, #fff 5px 9px)"

# The evidence column as the page shows it (web/dom.js STATUS, web/workshop.css --validated …).
STATUS: dict[str, tuple[str, str, str]] = {
    "VALIDATED": ("✓", "Validated", "#0072b2"),
    "REFUTED": ("✗", "Refuted", "#d55e00"),
    "CONTESTED": ("⇄", "Contested", "#a86f00"),
    "UNKNOWN": ("?", "Unknown", "#6f7782"),
}


def gap_class(gap: float | None) -> str:
    """The colour class of a gap, with web/heatmap.js gapClass's bounds."""
    if gap is None:
        return "nocmp"
    if gap >= 0.5:
        return "over3"
    if gap >= 0.25:
        return "over2"
    if gap >= 0.1:
        return "over1"
    if gap > -0.1:
        return "even"
    if gap > -0.25:
        return "under1"
    if gap > -0.5:
        return "under2"
    return "under3"


CSS = (
    """
table.heatmap { border-collapse: separate; border-spacing: 0; width: 100%; margin: 0;
  font-size: 13px; }
.heatmap th, .heatmap td { border-bottom: 1px solid #eef0f3; padding: 4px 6px; }
.heatmap thead th { vertical-align: bottom; text-align: center; font-size: 12px;
  font-weight: 600; padding: 6px 8px; border-bottom: 2px solid #d5dae2; white-space: nowrap; }
.heatmap .col-statement { text-align: left; font-weight: 400; min-width: 16rem;
  white-space: normal; overflow-wrap: anywhere; line-height: 1.35; padding: 5px 10px 5px 0; }
.heatmap thead th.col-statement, .heatmap thead th.col-evidence { font-weight: 600;
  padding-top: 6px; padding-bottom: 6px; }
.heatmap .col-evidence { text-align: center; white-space: nowrap; font-weight: 700;
  border-right: 2px solid #d5dae2; padding: 4px 8px; }
.heatmap td.cell { text-align: center; min-width: 4.4rem; white-space: nowrap;
  font-variant-numeric: tabular-nums; border-bottom: 1px solid #fff;
  border-right: 1px solid #fff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.heatmap td.cell.sig .cell-value { font-weight: 700; }
.heatmap .cell-arrow { margin-left: 0.15em; font-size: 0.8em; }
.heatmap td.cell.empty { background: #fff; color: #b5bcc6; }
.heatmap td.cell.nocmp, .heat-legend .chip.nocmp { background: """
    + NO_COMPARISON
    + """;
  color: #3a414b; }
.heat-legend { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px;
  font-size: 13px; margin: 10px 0 4px; }
.heat-legend .chip { display: inline-block; padding: 1px 8px; border-radius: 4px;
  border: 1px solid #c9cfd8; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
"""
    + "".join(
        f".heatmap td.cell.{name}, .heat-legend .chip.{name} "
        f"{{ background: {fill}; color: {ink}; }}\n"
        for name, (fill, ink, _) in GAP_COLOURS.items()
    )
    + "".join(
        f".heatmap td.col-evidence.st-{status.lower()} {{ color: {colour}; }}\n"
        for status, (_, _, colour) in STATUS.items()
    )
    + ".heatmap td.col-evidence.st-unknown { font-weight: 400; }\n"
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _cell(function: str, p: float | None, gap: float | None, significant_gap: float) -> str:
    name = function.capitalize()
    if p is None:
        return (
            f'<td class="cell empty" title="{_e(name)} holds no belief">·'
            '<span class="sr-only"> no belief</span></td>'
        )
    significant = gap is not None and abs(gap) >= significant_gap
    if gap is None:
        title = f"{name}: p {number(p)}; too little evidence to compare"
    else:
        title = f"{name}: p {number(p)}, gap to the evidence {gap:+.2f}"
        title += " (significant)" if significant else ""
    arrow = ""
    if significant and gap is not None:
        words = "more sure than the evidence" if gap > 0 else "less sure than the evidence"
        arrow = f'<span class="cell-arrow" aria-label="{words}">{"▲" if gap > 0 else "▼"}</span>'
    classes = f"cell {gap_class(gap)}{' sig' if significant else ''}"
    return (
        f'<td class="{classes}" title="{_e(title)}">'
        f'<span class="cell-value">{number(p)}</span>{arrow}</td>'
    )


def table(heat: dict[str, Any], significant_gap: float = 0.25, min_mass: float = 1.0) -> str:
    """Rows: the most divergent propositions; the evidence, then each function's p."""
    functions: list[str] = heat.get("functions") or []
    rows: list[dict[str, Any]] = heat.get("rows") or []
    if not rows or not functions:
        return '<p class="empty">No beliefs to chart yet.</p>'
    out = [
        '<table id="heatmap" class="heatmap" aria-label="Each function\'s belief against the '
        'evidence"><thead><tr><th scope="col" class="col-statement">Statement</th>'
        '<th scope="col" class="col-evidence" title="The evidence\'s confidence that it '
        'holds">Evidence</th>',
        *(f'<th scope="col" class="col-function">{_e(f.capitalize())}</th>' for f in functions),
        "</tr></thead><tbody>",
    ]
    for row in rows:
        confidence = float(row["confidence"])
        # Below the minimum evidence mass the evidence says nothing yet: no gap to colour.
        comparable = float(row.get("mass", 1.0)) >= min_mass
        glyph, label, _ = STATUS.get(str(row.get("status")), STATUS["UNKNOWN"])
        status = str(row.get("status") or "UNKNOWN").lower()
        out.append(
            f'<tr class="prop-row"><th scope="row" class="col-statement">'
            f"{_e(proposition(row))}</th>"
            f'<td class="col-evidence st-{_e(status)}" title="{_e(label)}; evidence mass '
            f'{number(row.get("mass"))}"><span class="glyph" aria-hidden="true">{glyph}</span> '
            f"{number(confidence)}</td>"
        )
        for function in functions:
            p = row["cells"].get(function)
            gap = float(p) - confidence if p is not None and comparable else None
            out.append(_cell(function, None if p is None else float(p), gap, significant_gap))
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def legend(significant_gap: float = 0.25) -> str:
    chips = "".join(
        f'<span class="chip {name}">{_e(words)}</span>'
        for name, (_, _, words) in GAP_COLOURS.items()
    )
    statuses = ", ".join(f"{glyph} {label.lower()}" for glyph, label, _ in STATUS.values())
    return (
        '<div class="heat-legend"><span>Each cell is the function\'s belief p (0–1). '
        f"Colour = gap to the evidence:</span>{chips}"
        '<span class="chip nocmp">too little evidence</span>'
        f"<span>▲▼ = gap ≥ {significant_gap:g}; · = no belief. Evidence: {statuses}.</span>"
        "</div>"
    )
