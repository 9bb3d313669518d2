"""The self-contained HTML report: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape
from typing import Any

from graph.snapshots.export import calibration, charts, decisions, heatmap
from graph.snapshots.export.words import RANKED_LISTS, day, moment, number, quoted, summary
from schema.snapshots import SnapshotInfo

CSS = (
    """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1a1a1a;
  font: 15px/1.55 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 32px 40px 48px; background: #fff; }
header { border-bottom: 3px solid #08306b; padding-bottom: 14px; margin-bottom: 22px; }
h1 { font-size: 28px; margin: 0 0 4px; color: #08306b; }
.asof { font-size: 18px; margin: 0; }
.meta { color: #5a5a5a; font-size: 13px; margin: 6px 0 0; }
h2 { font-size: 20px; color: #08306b; margin: 34px 0 8px; border-bottom: 1px solid #d9dee7;
  padding-bottom: 4px; }
.plain { font-size: 17px; background: #f0f5fb; border-left: 5px solid #2171b5;
  padding: 12px 20px 12px 36px; margin: 0; }
.plain li { margin: 6px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 20px 0 4px; }
.card { flex: 1 1 150px; border: 1px solid #d9dee7; border-radius: 8px; padding: 10px 14px; }
.card b { display: block; font-size: 26px; color: #08306b; }
.card span { color: #5a5a5a; font-size: 13px; }
ol.divergences li { margin: 10px 0; }
blockquote { margin: 6px 0 0 0; padding: 4px 12px; border-left: 3px solid #c6dbef;
  color: #3a3a3a; font-style: italic; }
blockquote cite { font-style: normal; color: #6b6b6b; font-size: 12px; }
.owner { display: inline-block; background: #fdeadb; color: #7a3300; border-radius: 10px;
  padding: 0 8px; font-size: 12px; margin-right: 4px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e6ec; padding: 4px 10px; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 12px 0 4px; overflow-x: auto; }
figcaption { color: #5a5a5a; font-size: 13px; margin-top: 4px; }
.empty { color: #6b6b6b; font-style: italic; }
footer { margin-top: 40px; color: #6b6b6b; font-size: 12px; border-top: 1px solid #d9dee7;
  padding-top: 10px; }
@media print { body { background: #fff; } main { padding: 0; } }
"""
    + heatmap.CSS
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _quotes(row: dict[str, Any], quotes: bool) -> str:
    if not quotes:
        return ""
    return "".join(
        f"<blockquote>{_e(quoted(q['summary']))}<br>"
        f"<cite>{_e(q['source_type'].replace('_', ' '))}, "
        f"{_e(q['observed_at'])} · {_e(q['id'])}</cite></blockquote>"
        for q in row.get("quotes") or []
        if q.get("summary")
    )


def _card(value: str, label: str) -> str:
    return f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def render(info: SnapshotInfo, figures: dict[str, Any], *, quotes: bool) -> Iterator[str]:
    title = info.label or f"Snapshot of {day(info.as_of)}"
    s = figures.get("summary") or {}
    a = figures.get("alignment") or {}
    thresholds = figures.get("thresholds") or {}
    yield (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} — Common Ground alignment snapshot</title>"
        f"<style>{CSS}</style></head><body><main>"
        f"<header><h1>Alignment snapshot: {_e(title)}</h1>"
        f'<p class="asof">As of <time datetime="{_e(info.as_of.isoformat())}">'
        f"{_e(day(info.as_of))}</time></p>"
        f'<p class="meta">Created {_e(day(info.created_at))} · snapshot {_e(info.id)} · '
        f"fingerprint <code>{_e(info.fingerprint[:16])}…</code></p></header>"
    )
    yield '<section><h2>In plain words</h2><ul class="plain">'
    for sentence in summary(info, figures):
        yield f"<li>{_e(sentence)}</li>"
    yield "</ul>"
    if s or a:
        yield (
            '<div class="cards">'
            + _card(number(a.get("alpha")), "alignment index (alpha)")
            + _card(number(a.get("mean_abs_difference")), "mean difference between functions")
            + _card(str(s.get("significant_gaps", "—")), "beliefs far from the evidence")
            + _card(str(s.get("contested_among_functions", "—")), "contested among functions")
            + _card(str(s.get("structural_gaps", "—")), "structural gaps")
            + "</div>"
        )
    yield "</section>"

    heat = figures.get("heatmap") or {}
    gap = thresholds.get("significant_gap", 0.25)
    shown, total = len(heat.get("rows") or []), heat.get("total_rows", 0)
    yield (
        "<section><h2>Function × proposition heatmap</h2>"
        f"<figure>{heatmap.legend(gap)}"
        f"{heatmap.table(heat, gap, thresholds.get('min_evidence_mass', 1.0))}"
        f"<figcaption>Each function's belief (p, the chance the statement holds) on the "
        f"{shown} most divergent of {total} propositions with beliefs, beside the evidence's "
        f"confidence, coloured by how far it sits from the evidence as on the workshop page; "
        f"▲ or ▼ marks a belief {gap:g} or more from it.</figcaption></figure></section>"
    )
    yield (
        "<section><h2>Belief versus evidence, per function</h2>"
        f"<figure>{charts.gaps_by_function(figures.get('gaps_by_function') or [])}"
        "<figcaption>How many of each function's beliefs sit 0.25 or more above the evidence "
        "(over-confident) or below it (under-confident), and the mean distance over all its "
        "beliefs on evidenced propositions.</figcaption></figure></section>"
    )
    yield from calibration.html(figures, _e)
    history = figures.get("history") or []
    charted = sum(1 for point in history if point.get("alpha") is not None) > 1
    over_time = " at each snapshot up to this one (highlighted)" if charted else ""
    yield (
        "<section><h2>Alignment index across snapshots</h2>"
        f"<figure>{charts.alignment_history(history, info.id)}"
        f"<figcaption>Krippendorff's alpha over the functions' beliefs{over_time}. 1 is full "
        "agreement, 0 no better than chance; 0.667 and 0.8 are the customary bars for "
        "tentative and firm conclusions.</figcaption></figure>"
    )
    segments = figures.get("segments") or []
    if segments:
        yield (
            "<h3>By segment</h3><table><tr><th>segment</th><th class=num>alpha</th>"
            "<th class=num>95% interval</th><th class=num>mean difference</th>"
            "<th class=num>propositions</th><th class=num>beliefs far from evidence</th>"
            "<th class=num>contested</th></tr>"
        )
        for seg in segments:
            al = seg["alignment"]
            yield (
                f"<tr><td>{_e(seg['name'])}</td><td class=num>{number(al['alpha'])}</td>"
                f"<td class=num>{number(al['alpha_low'])} – {number(al['alpha_high'])}</td>"
                f"<td class=num>{number(al['mean_abs_difference'])}</td>"
                f"<td class=num>{al['units']}</td>"
                f"<td class=num>{seg['significant_gaps']}</td>"
                f"<td class=num>{seg['contested']}</td></tr>"
            )
        yield "</table>"
    yield "</section>"
    for ranked in RANKED_LISTS:
        yield f"<section><h2>{ranked.title}</h2>"
        rows = figures.get(ranked.key) or []
        if rows:
            yield '<ol class="divergences">'
            for row in rows:
                # Only a belief gap has a rationale: the believing function's reasoning.
                rationale = (
                    f" <i>Their reasoning: {_e(quoted(row['rationale']))}</i>"
                    if row.get("rationale")
                    else ""
                )
                yield f"<li>{_e(ranked.sentence(row))}{rationale}{_quotes(row, quotes)}</li>"
            yield "</ol>"
        else:
            yield f'<p class="empty">{ranked.empty}</p>'
        yield "</section>"
    yield "<section><h2>Structural gaps</h2>"
    structural = figures.get("structural_gaps") or []
    if structural:
        yield "<ul>"
        for gap in structural:
            owners = "".join(f'<span class="owner">{_e(o)}</span>' for o in gap["owners"])
            yield f"<li>{owners}{_e(gap['explanation'])}</li>"
        yield "</ul>"
    else:
        yield '<p class="empty">No structural gaps.</p>'
    yield "</section>"
    yield from decisions.html(figures, quotes, _e)

    quotes_note = " Evidence quotes are left out of this copy." if not quotes else ""
    yield (
        f"<footer>Figures as of {_e(moment(info.as_of))}, computed when the snapshot was "
        f"taken: evidence half-life {thresholds.get('half_life_days', 365):g} days; a belief "
        f"gap counts from {thresholds.get('significant_gap', 0.25):g}; functions are "
        f"contested from a spread of {thresholds.get('contested_spread', 0.4):g}; alpha needs "
        f"{thresholds.get('min_alignment_units', 5)} propositions.{quotes_note} "
        f"Fingerprint {_e(info.fingerprint)}.</footer></main></body></html>\n"
    )
