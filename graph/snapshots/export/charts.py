"""Inline SVG charts for the HTML report: no script, no network, readable when printed.

Colours are colour-blind safe: orange against purple for over- against under-confidence, and
every bar and point prints its number. (The heatmap is a table, in ``heatmap``.)
"""

from __future__ import annotations

from html import escape
from typing import Any

from graph.snapshots.export.heatmap import GAP_COLOURS
from graph.snapshots.export.words import day

# Over- and under-confidence in the workshop's colours, as the heatmap shows them.
OVER = GAP_COLOURS["over3"][0]  # more sure than the evidence: orange
UNDER = GAP_COLOURS["under3"][0]  # less sure than the evidence: purple
LINE = "#1f4f8a"  # the alignment index across snapshots: the workshop page's accent
INK = "#1a1a1a"
MUTED = "#6b6b6b"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def gaps_by_function(rows: list[dict[str, Any]]) -> str:
    """Per function: significant gaps above the evidence (right) and below it (left)."""
    rows = [r for r in rows if r.get("beliefs_with_evidence")]
    if not rows:
        return '<p class="empty">No beliefs on evidenced propositions yet.</p>'
    peak = max(max(r["over_confident"], r["under_confident"]) for r in rows) or 1
    label_w, half, bar_h, top = 120, 230, 22, 34
    width = label_w + 2 * half + 150
    height = top + bar_h * len(rows) + 12
    mid = label_w + half
    out = [
        f'<svg id="gaps" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" style="{FONT};font-size:12px" aria-label="Significant belief gaps '
        'per function: under-confident to the left, over-confident to the right">',
        f'<text x="{mid - 8}" y="16" text-anchor="end" fill="{UNDER}" font-weight="600">'
        "◀ under-confident</text>",
        f'<text x="{mid + 8}" y="16" fill="{OVER}" font-weight="600">over-confident ▶</text>',
        f'<text x="{mid + half + 12}" y="16" fill="{MUTED}">mean |gap|</text>',
    ]
    for i, row in enumerate(rows):
        y = top + i * bar_h
        under_w = (half - 36) * row["under_confident"] / peak
        over_w = (half - 36) * row["over_confident"] / peak
        out.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">'
            f"{_t(row['function'].capitalize())}</text>"
            f'<rect class="bar under" x="{mid - under_w}" y="{y + 3}" width="{under_w}" '
            f'height="{bar_h - 6}" fill="{UNDER}"><title>{row["under_confident"]} under-confident'
            "</title></rect>"
            f'<rect class="bar over" x="{mid}" y="{y + 3}" width="{over_w}" height="{bar_h - 6}" '
            f'fill="{OVER}"><title>{row["over_confident"]} over-confident</title></rect>'
        )
        if row["under_confident"]:
            out.append(
                f'<text x="{mid - under_w - 4}" y="{y + 15}" text-anchor="end" fill="{INK}">'
                f"{row['under_confident']}</text>"
            )
        if row["over_confident"]:
            out.append(
                f'<text x="{mid + over_w + 4}" y="{y + 15}" fill="{INK}">{row["over_confident"]}'
                "</text>"
            )
        mean = row.get("mean_abs_gap")
        out.append(
            f'<text x="{mid + half + 12}" y="{y + 15}" fill="{MUTED}">'
            f"{'—' if mean is None else f'{mean:.2f}'}</text>"
        )
    out.append(
        f'<line x1="{mid}" y1="{top - 2}" x2="{mid}" y2="{height - 8}" stroke="{INK}"/></svg>'
    )
    return "".join(out)


def _labelled(centres: list[float], widths: list[float], gap: float = 10) -> set[int]:
    """Which points get a name under them: as many as fit without touching, the last (this
    snapshot) always; the others keep theirs in the tooltip."""
    chosen: list[int] = []
    for i, (centre, width) in enumerate(zip(centres, widths, strict=True)):
        left = centre - width / 2
        while chosen and left < centres[chosen[-1]] + widths[chosen[-1]] / 2 + gap:
            if i != len(centres) - 1:
                break
            chosen.pop()  # the last point wins over its neighbour
        else:
            chosen.append(i)
    return set(chosen)


def alignment_history(points: list[dict[str, Any]], current_id: str) -> str:
    """The alignment index (alpha) of each snapshot up to this one, oldest first."""
    usable = [p for p in points if p.get("alpha") is not None]
    if not usable:
        return '<p class="empty">No snapshot has a measurable alignment index yet.</p>'
    if len(usable) == 1:
        # One point is no trend: say so in words instead of drawing a lone dot.
        only = usable[0]
        name = only.get("label") or day(only["as_of"])
        which = "This is the first snapshot" if only["id"] == current_id else "Only one snapshot"
        return (
            f'<p class="history-first" id="history">{which} with a measurable alignment index: '
            f"nothing to compare it with yet. {_t(name)} ({_t(day(only['as_of']))}): alpha "
            f"{float(only['alpha']):.2f}.</p>"
        )
    # Margins wider than half the longest name (20 characters), so no name is cut at an edge.
    width, height, left, right, top, bottom = 780, 250, 80, 80, 20, 56
    low = min(-0.2, *(float(p["alpha"]) for p in usable)) - 0.1

    def x(i: int) -> float:
        return left + (width - left - right) * i / (len(usable) - 1)

    def y(alpha: float) -> float:
        return top + (height - top - bottom) * (1 - (alpha - low) / (1 - low))

    out = [
        f'<svg id="history" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" style="{FONT};font-size:11px" aria-label="Alignment index across '
        'snapshots">'
    ]
    for tick in (0.0, 0.4, 0.667, 0.8, 1.0):
        if tick >= low:
            out.append(
                f'<line x1="{left}" y1="{y(tick)}" x2="{width - right}" y2="{y(tick)}" '
                f'stroke="#dddddd"/><text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end" '
                f'fill="{MUTED}">{tick:g}</text>'
            )
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(p['alpha']):.1f}" for i, p in enumerate(usable)
    )
    out.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    names = [_clip(p.get("label") or day(p["as_of"]), 20) for p in usable]
    dates = [day(p["as_of"]) for p in usable]
    # About 6.5 px a character at 11 px: enough to keep neighbouring names apart.
    spans = [6.5 * max(len(n), len(d)) for n, d in zip(names, dates, strict=True)]
    labelled = _labelled([x(i) for i in range(len(usable))], spans)
    for i, p in enumerate(usable):
        mine = p["id"] == current_id
        out.append(
            f'<circle class="point{" current" if mine else ""}" cx="{x(i):.1f}" '
            f'cy="{y(p["alpha"]):.1f}" r="{6 if mine else 4}" '
            f'fill="{OVER if mine else LINE}"><title>{_t(names[i])}, {_t(dates[i])}: alpha '
            f"{p['alpha']:.2f}</title></circle>"
            f'<text x="{x(i):.1f}" y="{y(p["alpha"]) - 10:.1f}" text-anchor="middle" '
            f'fill="{INK}">{p["alpha"]:.2f}</text>'
        )
        if i in labelled:
            out.append(
                f'<text class="name" x="{x(i):.1f}" y="{height - bottom + 20}" '
                f'text-anchor="middle" fill="{INK}">{_t(names[i])}</text>'
                f'<text x="{x(i):.1f}" y="{height - bottom + 35}" text-anchor="middle" '
                f'fill="{MUTED}">{_t(dates[i])}</text>'
            )
    out.append("</svg>")
    return "".join(out)
