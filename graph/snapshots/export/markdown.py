"""The Markdown report: the same story as the HTML one, in tables and sentences.

Every text that came from people (labels, names, quotes, the sentences built from them) goes
through :func:`cell`: one line, and no character a Markdown viewer would read as markup (an
HTML tag such as ``<img onerror=…>``, a link or autolink such as ``[x](javascript:…)``,
emphasis, a table's ``|``) — each is shown as itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graph.snapshots.export import calibration, decisions
from graph.snapshots.export.heatmap import STATUS
from graph.snapshots.export.words import (
    RANKED_LISTS,
    day,
    number,
    proposition,
    quoted,
    summary,
)
from schema.snapshots import SnapshotInfo

# Line breaks of any kind become spaces; markup characters get a backslash (CommonMark shows
# a backslash-escaped punctuation character as itself).
LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
MARKUP = re.compile(r"([\\`*_\[\]<>|#~])")


def cell(value: object) -> str:
    """Text shown as itself on one line: in a table cell, a list item or a heading."""
    return MARKUP.sub(r"\\\1", LINE_BREAKS.sub(" ", str(value)))


def _quotes(row: dict[str, Any], quotes: bool) -> Iterator[str]:
    if not quotes:
        return
    for q in row.get("quotes") or []:
        if q.get("summary"):
            text = cell(quoted(str(q["summary"])))
            source = cell(q["source_type"].replace("_", " "))
            yield f"   > {text} — {source}, {cell(q['observed_at'])}\n"


def render(info: SnapshotInfo, figures: dict[str, Any], *, quotes: bool) -> Iterator[str]:
    title = info.label or f"Snapshot of {day(info.as_of)}"
    a = figures.get("alignment") or {}
    yield f"# Alignment snapshot: {cell(title)}\n\n"
    yield f"**As of {day(info.as_of)}** · snapshot `{info.id}` · "
    yield f"fingerprint `{info.fingerprint}`\n\n"
    yield "## In plain words\n\n"
    for sentence in summary(info, figures):
        yield f"- {cell(sentence)}\n"
    for ranked in RANKED_LISTS:
        yield f"\n## {ranked.title}\n\n"
        rows = figures.get(ranked.key) or []
        for n, row in enumerate(rows, start=1):
            yield f"{n}. {cell(ranked.sentence(row))}\n"
            yield from _quotes(row, quotes)
        if not rows:
            yield f"{ranked.empty}\n"
    yield "\n## Structural gaps\n\n"
    structural = figures.get("structural_gaps") or []
    for gap in structural:
        yield f"- **{cell(', '.join(gap['owners']))}**: {cell(gap['explanation'])}\n"
    if not structural:
        yield "No structural gaps.\n"
    yield from decisions.markdown(figures, quotes, cell)

    heat = figures.get("heatmap") or {}
    functions = heat.get("functions") or []
    thresholds = figures.get("thresholds") or {}
    gap = thresholds.get("significant_gap", 0.25)
    min_mass = thresholds.get("min_evidence_mass", 1.0)
    if heat.get("rows"):
        yield "\n## Function × proposition heatmap\n\n"
        yield (
            "Each function's belief (p) on the most divergent propositions, beside the "
            "evidence's confidence (✓ validated, ✗ refuted, ⇄ contested, ? unknown); ▲ marks a "
            f"belief {gap:g} or more above the evidence, ▼ one as far below it (— where there "
            "is too little evidence to compare).\n\n"
        )
        yield (
            "| statement | evidence | "
            + " | ".join(cell(f.capitalize()) for f in functions)
            + " |\n"
        )
        yield "|---|" + "---:|" * (len(functions) + 1) + "\n"
        for row in heat["rows"]:
            comparable = row.get("mass", 1.0) >= min_mass
            cells = []
            for f in functions:
                p = row["cells"].get(f)
                diff = p - row["confidence"] if p is not None and comparable else 0.0
                mark = (" ▲" if diff > 0 else " ▼") if abs(diff) >= gap else ""
                cells.append("" if p is None else f"{p:.2f}{mark}")
            glyph = STATUS.get(str(row.get("status")), STATUS["UNKNOWN"])[0]
            evidence = f"{glyph} {row['confidence']:.2f}" if comparable else f"{glyph} —"
            yield f"| {cell(proposition(row))} | {evidence} | " + " | ".join(cells) + " |\n"
    yield "\n## Belief versus evidence, per function\n\n"
    yield "| function | beliefs on evidenced propositions | over-confident | under-confident "
    yield "| mean \\|gap\\| |\n|---|---:|---:|---:|---:|\n"
    for row in figures.get("gaps_by_function") or []:
        yield (
            f"| {cell(row['function'])} | {row['beliefs_with_evidence']} | "
            f"{row['over_confident']} | {row['under_confident']} | "
            f"{number(row['mean_abs_gap'])} |\n"
        )
    yield "\n## Alignment index\n\n"
    yield "| scope | alpha | 95% interval | mean difference | propositions |\n"
    yield "|---|---:|---:|---:|---:|\n"
    yield (
        f"| all segments | {number(a.get('alpha'))} | {number(a.get('alpha_low'))} – "
        f"{number(a.get('alpha_high'))} | {number(a.get('mean_abs_difference'))} | "
        f"{a.get('units', 0)} |\n"
    )
    for seg in figures.get("segments") or []:
        al = seg["alignment"]
        yield (
            f"| {cell(seg['name'])} | {number(al['alpha'])} | {number(al['alpha_low'])} – "
            f"{number(al['alpha_high'])} | {number(al['mean_abs_difference'])} | "
            f"{al['units']} |\n"
        )
    history = figures.get("history") or []
    if history:
        yield "\n### Across snapshots\n\n| snapshot | as of | alpha | mean difference |\n"
        yield "|---|---|---:|---:|\n"
        for point in history:
            yield (
                f"| {cell(point.get('label') or point['id'])} | {day(point['as_of'])} | "
                f"{number(point['alpha'])} | {number(point['mean_abs_difference'])} |\n"
            )
    yield from calibration.markdown(figures, cell)
    if not quotes:
        yield "\n_Evidence quotes are left out of this copy._\n"
