"""`commonground divergences` and `commonground alignment`: the divergence engine on the
command line, as rich tables for people and ``--json`` for scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.text import Text

from commonground.console import fail, out, parse_time, settings_for, with_database
from commonground.tables import Cell, Column, WideOption, fits, print_table
from graph import divergence as engine
from graph import segments
from graph.kit.connection import Database
from schema import divergence as rows
from schema.entities import AmbiguousSegment, SegmentNotFound
from schema.functions import UnknownFunction
from schema.models import Entity
from schema.sentences import statement

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


def _kind(gap: rows.BeliefGap) -> Text:
    """Opposing the evidence and mis-judging its strength are different findings."""
    if gap.opposes_evidence:
        return Text("OPPOSES", style="bold")
    return Text("strength")


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
    opposing_only: Annotated[
        bool,
        typer.Option(
            "--opposing-only",
            help="Only the gaps that oppose the evidence: the function expects the opposite of "
            "what the evidence says (p and confidence on opposite sides of 0.5).",
        ),
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(help=f"At most this many rows (tables: {TABLE_ROWS}; JSON: all)."),
    ] = None,
    wide: WideOption = False,
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
        gaps = engine.belief_gaps(
            picture, function, significant_only=not include_all, opposing_only=opposing_only
        )
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
                    "opposing_only": opposing_only,
                    "thresholds": _dump(picture.thresholds),
                    "total": len(gaps),
                    "gaps": [_dump(g) for g in shown],
                },
                ensure_ascii=False,
            )
        )
        return
    _print_gaps(
        picture, gaps, shown, include_all=include_all, opposing_only=opposing_only, wide=wide
    )


def _evidence_counts(e: rows.EvidenceView) -> str:
    return f"{e.supporting_count}+/{e.contradicting_count}−"


def _print_gaps(
    picture: engine.Picture,
    gaps: list[rows.BeliefGap],
    shown: list[rows.BeliefGap],
    *,
    include_all: bool,
    opposing_only: bool,
    wide: bool,
) -> None:
    where = picture.segment.name if picture.segment else "all segments"
    which = ("" if include_all else "significant ") + ("opposing " if opposing_only else "")
    thresholds = picture.thresholds
    # The evidence's full account would take half of 80 columns, so by default each row
    # carries only its items for and against (--wide gives the rest), and columns stand one
    # space apart: at 80 columns the proposition keeps 40, and the demo's longest (103
    # characters) wrap to 3 lines.
    columns = [
        Column("#", "short", justify="right"),
        Column("function", "short"),
        Column("proposition"),
        Column("p", "short", justify="right"),
        Column("conf.", "short", justify="right"),
        Column("gap", "short", justify="right"),
        Column("kind", "short"),
        Column("the evidence behind it", "text", narrowest=30)
        if wide
        else Column("evidence", "short"),
        Column("rank", "short", "room", justify="right"),
        Column("proposition id", "id", "wide"),
    ]
    table_rows: list[list[Cell]] = [
        [
            str(n),
            gap.function,
            statement(gap.proposition),
            f"{gap.p:.2f}",
            f"{gap.confidence:.2f}",
            _signed(gap.gap),
            _kind(gap),
            _evidence_cell(gap.evidence) if wide else _evidence_counts(gap.evidence),
            f"{gap.rank_score:.2f}",
            gap.proposition.id,
        ]
        for n, gap in enumerate(shown, start=1)
    ]
    print_table(
        columns,
        table_rows,
        wide=wide,
        title=f"{len(gaps)} {which}belief gaps — {where}, as of {picture.as_of:%Y-%m-%d %H:%M} UTC",
        caption=(
            f"gap = p − conf., the evidence's P(θ > 0.5); kind: OPPOSES when p and conf. lie "
            f"on opposite sides of 0.5 (--opposing-only lists just those), else strength; "
            f"evidence = items for+/against−; "
            f"shown when evidence mass S + C ≥ {thresholds.min_evidence_mass:g}; significant "
            f"when |gap| ≥ {thresholds.significant_gap:g}; ranked by |gap| × consensus magnitude"
            + (f"; showing {len(shown)} (--limit)" if len(shown) < len(gaps) else "")
            + ("" if wide else "; --wide for weights, accounts, dates and proposition ids")
        ),
        gap=1,
    )


def _null_reason(reason: rows.AlphaNullReason | None) -> str:
    if reason is rows.AlphaNullReason.NO_VARIATION:
        return "no variation: every belief the same, perfect agreement"
    return "too few pairable propositions"


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
        else f" ({_null_reason(result.alpha_null_reason)})"
    )
    return (
        f"Krippendorff's alpha {_figure(result.alpha)}{interval}\n"
        f"mean |p_a − p_b| {_figure(result.mean_abs_difference)}; {result.units} pairable "
        f"propositions; {len(result.functions)} functions"
    )


def _matrix(
    result: rows.Alignment, cell: Callable[[rows.PairAgreement], str]
) -> tuple[list[Column], list[list[Cell]]]:
    pairs = _pair_lookup(result)
    columns = [Column("", "short")]
    columns += [Column(f, "short", justify="right") for f in result.functions]
    cells: list[list[Cell]] = []
    for a in result.functions:
        found = [pairs.get((a, b)) for b in result.functions]
        cells.append([a, *("·" if pair is None else cell(pair) for pair in found)])
    return columns, cells


def _print_matrices(result: rows.Alignment, *, wide: bool) -> None:
    """Alpha with the number of propositions behind it when it fits, else alpha alone."""
    counted = _matrix(result, lambda pair: f"{_figure(pair.alpha)} ({pair.units})")
    bare = _matrix(result, lambda pair: _figure(pair.alpha))
    with_units = wide or fits(*counted)
    print_table(
        *(counted if with_units else bare),
        title="Function × function: alpha"
        + (" (propositions both hold a belief on)" if with_units else ""),
        caption=None if with_units else "--wide adds how many propositions each pair shares",
    )
    intervals = _matrix(result, _pair_interval)
    if wide or fits(*intervals):
        print_table(
            *intervals,
            title="Function × function: 95% bootstrap interval of alpha",
            caption="— where alpha is null; each pair resamples the propositions both hold a "
            "belief on",
        )
    else:
        out.print("--wide adds the 95% bootstrap interval of each pair's alpha", highlight=False)
    print_table(
        *_matrix(result, lambda pair: _figure(pair.mean_abs_difference)),
        title="Function × function: mean |p_a − p_b|",
    )


def _pair_interval(pair: rows.PairAgreement) -> str:
    if pair.alpha_low is None or pair.alpha_high is None:
        return "—"
    return f"{_figure(pair.alpha_low)} to {_figure(pair.alpha_high)}"


def alignment(
    segment: SegmentOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
    wide: WideOption = False,
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
        segment_rows: list[list[Cell]] = [
            [
                s.segment.name if s.segment else "—",
                _figure(s.alpha),
                f"{_figure(s.alpha_low)} to {_figure(s.alpha_high)}",
                _figure(s.mean_abs_difference),
                str(s.units),
                s.segment.id if s.segment else "—",
            ]
            for s in per_segment
        ]
        print_table(
            [
                Column("segment"),
                Column("alpha", "short", justify="right"),
                Column("95% interval", "short", justify="right"),
                Column("mean |Δp|", "short", justify="right"),
                Column("units", "short", justify="right"),
                Column("segment id", "id", "room"),
            ],
            segment_rows,
            wide=wide,
            title="By segment",
        )
    _print_matrices(result, wide=wide)
    out.print(
        f"alpha is — below {picture.thresholds.min_alignment_units} pairable propositions, or "
        "when every belief is the same (perfect agreement); 1 is full agreement, 0 no better "
        "than chance, below 0 systematic disagreement.",
        highlight=False,
    )
