"""The Markdown report: the same story as the HTML one, in tables and sentences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _quotes(row: dict[str, Any], quotes: bool) -> Iterator[str]:
    if not quotes:
        return
    for q in row.get("quotes") or []:
        if q.get("summary"):
            text = str(q["summary"]).replace("\n", " ")
            source = q["source_type"].replace("_", " ")
            yield f"   > {quoted(text)} — {source}, {q['observed_at']}\n"


def render(info: SnapshotInfo, figures: dict[str, Any], *, quotes: bool) -> Iterator[str]:
    title = info.label or f"Snapshot of {day(info.as_of)}"
    a = figures.get("alignment") or {}
    yield f"# Alignment snapshot: {title}\n\n"
    yield f"**As of {day(info.as_of)}** · snapshot `{info.id}` · "
    yield f"fingerprint `{info.fingerprint}`\n\n"
    yield "## In plain words\n\n"
    for sentence in summary(info, figures):
        yield f"- {sentence}\n"
    for ranked in RANKED_LISTS:
        yield f"\n## {ranked.title}\n\n"
        rows = figures.get(ranked.key) or []
        for n, row in enumerate(rows, start=1):
            yield f"{n}. {ranked.sentence(row)}\n"
            yield from _quotes(row, quotes)
        if not rows:
            yield f"{ranked.empty}\n"
    yield "\n## Structural gaps\n\n"
    structural = figures.get("structural_gaps") or []
    for gap in structural:
        yield f"- **{', '.join(gap['owners'])}**: {gap['explanation']}\n"
    if not structural:
        yield "No structural gaps.\n"

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
        yield "| statement | evidence | " + " | ".join(f.capitalize() for f in functions) + " |\n"
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
    if not quotes:
        yield "\n_Evidence quotes are left out of this copy._\n"
