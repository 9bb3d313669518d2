"""Inline SVG charts for the HTML report: no script, no network, readable when printed.

Colours are colour-blind safe: a single-hue blue scale for probabilities (lightness carries
the value, and every cell prints its number), orange against blue for over- against
under-confidence, and an orange outline for a belief that parts from the evidence.
"""

from __future__ import annotations

from html import escape
from typing import Any

BLUE_SCALE = (
    "#f7fbff",
    "#deebf7",
    "#c6dbef",
    "#9ecae1",
    "#6baed6",
    "#4292c6",
    "#2171b5",
    "#08519c",
    "#08306b",
)
OVER = "#e66101"  # over-confident: orange
UNDER = "#2166ac"  # under-confident: blue
INK = "#1a1a1a"
MUTED = "#6b6b6b"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def blue(p: float) -> tuple[str, str]:
    """Fill and text colour for a probability."""
    index = min(len(BLUE_SCALE) - 1, max(0, round(p * (len(BLUE_SCALE) - 1))))
    return BLUE_SCALE[index], ("#ffffff" if index >= 5 else INK)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def heatmap(heat: dict[str, Any], significant_gap: float = 0.25, min_mass: float = 1.0) -> str:
    """Rows: the most divergent propositions; columns: each function's p, then the evidence."""
    functions: list[str] = heat.get("functions") or []
    rows: list[dict[str, Any]] = heat.get("rows") or []
    if not rows or not functions:
        return '<p class="empty">No beliefs to chart yet.</p>'
    label_w, cell_w, cell_h, top = 440, 70, 24, 34
    columns = [*functions, "evidence"]
    width = label_w + cell_w * len(columns) + 8
    height = top + cell_h * len(rows) + 8
    out = [
        f'<svg id="heatmap" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" style="{FONT};font-size:12px" '
        "aria-label=\"Each function's belief on the most divergent propositions, beside the "
        "evidence's confidence\">",
    ]
    for c, name in enumerate(columns):
        x = label_w + c * cell_w + cell_w / 2
        weight = "700" if name == "evidence" else "600"
        out.append(
            f'<text class="col" x="{x}" y="{top - 10}" text-anchor="middle" font-size="11" '
            f'font-weight="{weight}" fill="{INK}">{_t(name)}</text>'
        )
    out.append(
        f'<line x1="{label_w + cell_w * len(functions) + 1}" y1="{top - 4}" '
        f'x2="{label_w + cell_w * len(functions) + 1}" y2="{height - 6}" stroke="{INK}" '
        'stroke-width="2"/>'
    )
    for r, row in enumerate(rows):
        y = top + r * cell_h
        out.append(
            f'<text class="row" x="{label_w - 8}" y="{y + cell_h / 2 + 4}" text-anchor="end" '
            f'fill="{INK}"><title>{_t(row["text"])}</title>{_t(_clip(row["text"], 58))}</text>'
        )
        confidence = float(row["confidence"])
        # Below the minimum evidence mass the evidence says nothing yet: no gap to mark.
        thin = float(row.get("mass", 1.0)) < min_mass
        for c, name in enumerate(columns):
            x = label_w + c * cell_w
            value = confidence if name == "evidence" else row["cells"].get(name)
            if name == "evidence" and thin:
                out.append(
                    f'<rect class="cell thin" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" '
                    f'height="{cell_h - 2}" fill="#f0f0f0" stroke="#d0d0d0">'
                    "<title>too little evidence to say</title></rect>"
                    f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" text-anchor="middle" '
                    f'fill="{MUTED}">—</text>'
                )
                continue
            if value is None:
                out.append(
                    f'<rect class="cell empty" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" '
                    f'height="{cell_h - 2}" fill="#ffffff" stroke="#e3e3e3"/>'
                )
                continue
            fill, ink = blue(float(value))
            parts = (
                not thin
                and name != "evidence"
                and abs(float(value) - confidence) >= significant_gap
            )
            stroke = f' stroke="{OVER}" stroke-width="3"' if parts else ""
            evidence = "too little evidence" if thin else f"evidence {confidence:.2f}"
            tip = f"{name}: {value:.2f} ({evidence})"
            out.append(
                f'<rect class="cell{" parts" if parts else ""}" x="{x + 1}" y="{y + 1}" '
                f'width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"{stroke}>'
                f"<title>{_t(tip)}</title></rect>"
                f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" text-anchor="middle" '
                f'fill="{ink}">{float(value):.2f}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def heatmap_legend() -> str:
    swatches = "".join(
        f'<rect x="{8 + i * 28}" y="6" width="28" height="14" fill="{c}"/>'
        for i, c in enumerate(BLUE_SCALE)
    )
    return (
        f'<svg class="legend" width="660" height="44" style="{FONT};font-size:11px" '
        'role="img" aria-label="Legend">'
        f"{swatches}"
        f'<text x="8" y="36" fill="{MUTED}">0 — does not hold</text>'
        f'<text x="260" y="36" text-anchor="end" fill="{MUTED}">1 — holds</text>'
        f'<rect x="292" y="6" width="28" height="14" fill="{BLUE_SCALE[3]}" stroke="{OVER}" '
        'stroke-width="3"/>'
        f'<text x="328" y="17" fill="{INK}">parts from the evidence by 0.25 or more</text>'
        f'<text x="328" y="36" fill="{MUTED}">— in the evidence column: too little evidence</text>'
        "</svg>"
    )


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
            f"{_t(row['function'])}</text>"
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


def alignment_history(points: list[dict[str, Any]], current_id: str) -> str:
    """The alignment index (alpha) of each snapshot up to this one, oldest first."""
    usable = [p for p in points if p.get("alpha") is not None]
    if not usable:
        return '<p class="empty">No snapshot has a measurable alignment index yet.</p>'
    width, height, left, right, top, bottom = 700, 220, 60, 70, 16, 52
    low = min(-0.2, *(float(p["alpha"]) for p in usable)) - 0.1
    span_x = max(1, len(usable) - 1)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / span_x if len(usable) > 1 else 0.5)

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
    out.append(f'<path d="{path}" fill="none" stroke="{UNDER}" stroke-width="2"/>')
    for i, p in enumerate(usable):
        mine = p["id"] == current_id
        name = p.get("label") or p["as_of"][:10]
        out.append(
            f'<circle class="point{" current" if mine else ""}" cx="{x(i):.1f}" '
            f'cy="{y(p["alpha"]):.1f}" r="{6 if mine else 4}" '
            f'fill="{OVER if mine else UNDER}"><title>{_t(name)}: alpha {p["alpha"]:.2f}'
            f"</title></circle>"
            f'<text x="{x(i):.1f}" y="{y(p["alpha"]) - 10:.1f}" text-anchor="middle" '
            f'fill="{INK}">{p["alpha"]:.2f}</text>'
            f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'fill="{INK}">{_t(_clip(name, 16))}</text>'
            f'<text x="{x(i):.1f}" y="{height - bottom + 32}" text-anchor="middle" '
            f'fill="{MUTED}">{_t(p["as_of"][:10])}</text>'
        )
    out.append("</svg>")
    return "".join(out)
