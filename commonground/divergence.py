"""`commonground divergences` and `commonground alignment`: the divergence engine on the
command line, as rich tables for people and ``--json`` for scripts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from commonground.console import fail, out, parse_time, settings_for, with_database
from graph import divergence as engine
from graph import segments
from graph.kit.connection import Database
from schema import divergence as rows
from schema.entities import AmbiguousSegment, SegmentNotFound
from schema.functions import UnknownFunction
from schema.models import Entity

TABLE_ROWS = 20
MAX_SEGMENTS = 1000  # a company has a handful; this only bounds the read

FunctionOption = Annotated[
    str | None, typer.Option("--function", help="Only this function's gaps, e.g. sales.")
]
SegmentOption = Annotated[
    str | None,
    typer.Option(
        "--segment",
        help="A segment: its id (seg- optional) or the starts of words of its name, e.g. "
        "'mid market'; all segments when omitted.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Compute as of this time (ISO date or date-time, UTC by default)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def parse_as_of(value: str | None) -> datetime:
    """An ISO date or date-time; without a zone it is UTC. None means now."""
    moment = parse_time(value)
    return datetime.now(UTC) if moment is None else moment


async def _segments(db: Database, as_of: datetime) -> list[Entity]:
    return await db.read(segments.live_segments, as_of, MAX_SEGMENTS)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^0-9a-z]+", text.casefold()) if w]


async def resolve_segment(db: Database, ref: str | None, as_of: datetime) -> str | None:
    """A segment from its id (``seg-`` optional) or the starts of words of its name."""
    if ref is None:
        return None
    segments = await _segments(db, as_of)
    for s in segments:
        if ref in (s.id, s.id.removeprefix("seg-")) or ref.casefold() == s.name.casefold():
            return s.id
    wanted = _words(ref)
    matches = [
        s
        for s in segments
        if wanted and all(any(w.startswith(x) for w in _words(s.name)) for x in wanted)
    ]
    if len(matches) == 1:
        return matches[0].id
    if not matches:
        raise SegmentNotFound(ref)
    raise AmbiguousSegment(ref, [(s.id, s.name) for s in matches])


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


def _figure(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _signed(value: float) -> Text:
    style = "red" if value > 0 else "blue" if value < 0 else ""
    return Text(f"{value:+.2f}", style=style)


def _evidence_cell(e: rows.EvidenceView) -> str:
    newest = e.newest_evidence_at.date().isoformat() if e.newest_evidence_at else "—"
    return (
        f"{e.status.value.lower()}: S {e.supporting_weight:.2f}, C {e.contradicting_weight:.2f}; "
        f"{e.supporting_count}+/{e.contradicting_count}− items, {e.distinct_accounts} accounts, "
        f"newest {newest}"
    )


def divergences(
    function: FunctionOption = None,
    segment: SegmentOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    include_all: Annotated[
        bool, typer.Option("--all", help="Also the gaps below the significance threshold.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(help=f"At most this many rows (tables: {TABLE_ROWS}; JSON: all)."),
    ] = None,
) -> None:
    """Print belief gaps: where each function's belief parts from the evidence."""
    settings = settings_for()
    moment = parse_as_of(as_of)
    engine_settings = engine.EngineSettings.from_settings(settings)

    async def work(db: Database) -> engine.Picture:
        segment_id = await resolve_segment(db, segment, moment)
        return await db.read(
            engine.load_picture, engine_settings, as_of=moment, segment_id=segment_id
        )

    picture = with_database(settings, work)
    try:
        gaps = engine.belief_gaps(picture, function, significant_only=not include_all)
    except UnknownFunction as error:
        raise fail(error.message) from None
    shown = gaps[: (limit if limit is not None else (len(gaps) if as_json else TABLE_ROWS))]
    if as_json:
        print(
            json.dumps(
                {
                    "as_of": picture.as_of.isoformat(),
                    "segment": _dump(picture.segment) if picture.segment else None,
                    "function": function,
                    "significant_only": not include_all,
                    "thresholds": _dump(picture.thresholds),
                    "total": len(gaps),
                    "gaps": [_dump(g) for g in shown],
                },
                ensure_ascii=False,
            )
        )
        return
    where = picture.segment.name if picture.segment else "all segments"
    which = "" if include_all else "significant "
    thresholds = picture.thresholds
    table = Table(
        title=f"{len(gaps)} {which}belief gaps — {where}, as of {picture.as_of:%Y-%m-%d %H:%M} UTC",
        caption=(
            f"gap = p − conf., the evidence's P(θ > 0.5); shown when evidence "
            f"mass S + C ≥ {thresholds.min_evidence_mass:g}; significant when |gap| ≥ "
            f"{thresholds.significant_gap:g}; ranked by |gap| × consensus magnitude"
            + (f"; showing {len(shown)}" if len(shown) < len(gaps) else "")
        ),
        show_lines=True,
        caption_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("function")
    table.add_column("proposition", ratio=3)
    table.add_column("p", justify="right")
    table.add_column("conf.", justify="right")
    table.add_column("gap", justify="right")
    table.add_column("rank", justify="right")
    table.add_column("the evidence behind it", ratio=2)
    for n, gap in enumerate(shown, start=1):
        table.add_row(
            str(n),
            gap.function,
            gap.proposition.text,
            f"{gap.p:.2f}",
            f"{gap.confidence:.2f}",
            _signed(gap.gap),
            f"{gap.rank_score:.2f}",
            _evidence_cell(gap.evidence),
        )
    out.print(table)


def _pair_lookup(result: rows.Alignment) -> dict[tuple[str, str], rows.PairAgreement]:
    found = {}
    for pair in result.pairwise:
        found[(pair.a, pair.b)] = pair
        found[(pair.b, pair.a)] = pair
    return found


def _alignment_line(result: rows.Alignment) -> str:
    interval = (
        f", 95% bootstrap interval {_figure(result.alpha_low)} to {_figure(result.alpha_high)}"
        if result.alpha is not None
        else ""
    )
    return (
        f"Krippendorff's alpha {_figure(result.alpha)}{interval}\n"
        f"mean |p_a − p_b| {_figure(result.mean_abs_difference)}; {result.units} pairable "
        f"propositions; {len(result.functions)} functions"
    )


def alignment(
    segment: SegmentOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print the alignment index (Krippendorff's alpha) and the function × function matrix."""
    settings = settings_for()
    moment = parse_as_of(as_of)
    engine_settings = engine.EngineSettings.from_settings(settings)

    async def work(db: Database) -> tuple[engine.Picture, list[rows.Alignment]]:
        segment_id = await resolve_segment(db, segment, moment)
        picture = await db.read(
            engine.load_picture, engine_settings, as_of=moment, segment_id=segment_id
        )
        per_segment = []
        if segment_id is None:
            for each in await _segments(db, moment):
                scoped = await db.read(
                    engine.load_picture, engine_settings, as_of=moment, segment_id=each.id
                )
                per_segment.append(engine.alignment(scoped))
        return picture, per_segment

    picture, per_segment = with_database(settings, work)
    result = engine.alignment(picture)
    if as_json:
        print(
            json.dumps(
                {
                    "as_of": picture.as_of.isoformat(),
                    "thresholds": _dump(picture.thresholds),
                    "alignment": _dump(result),
                    "segments": [_dump(s) for s in per_segment],
                },
                ensure_ascii=False,
            )
        )
        return
    where = picture.segment.name if picture.segment else "the whole model"
    out.print(f"[bold]Alignment of {where}[/], as of {picture.as_of:%Y-%m-%d %H:%M} UTC")
    out.print(_alignment_line(result), highlight=False)
    if per_segment:
        table = Table(title="By segment")
        for column in ("segment", "alpha", "95% interval", "mean |Δp|", "units"):
            table.add_column(column, justify="left" if column == "segment" else "right")
        for s in per_segment:
            table.add_row(
                s.segment.name if s.segment else "—",
                _figure(s.alpha),
                f"{_figure(s.alpha_low)} to {_figure(s.alpha_high)}",
                _figure(s.mean_abs_difference),
                str(s.units),
            )
        out.print(table)
    pairs = _pair_lookup(result)
    titles = {
        "alpha": "Function × function: alpha (propositions both hold a belief on)",
        "difference": "Function × function: mean |p_a − p_b|",
    }
    for figure, title in titles.items():
        matrix = Table(title=title)
        matrix.add_column("")
        for function in result.functions:
            matrix.add_column(function, justify="right")
        for a in result.functions:
            cells = []
            for b in result.functions:
                pair = pairs.get((a, b))
                if pair is None:
                    cells.append("·")
                elif figure == "alpha":
                    cells.append(f"{_figure(pair.alpha)} ({pair.units})")
                else:
                    cells.append(_figure(pair.mean_abs_difference))
            matrix.add_row(a, *cells)
        out.print(matrix)
    out.print(
        f"alpha is — below {picture.thresholds.min_alignment_units} pairable propositions; "
        "1 is full agreement, 0 no better than chance, below 0 systematic disagreement.",
        highlight=False,
    )
