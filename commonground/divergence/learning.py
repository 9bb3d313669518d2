"""`commonground calibration` and `commonground next-evidence`: learning from the evidence
over time (docs/design.md §2b) — whose picture of the customer has been right, and which
evidence to collect next — as rich tables for people and ``--json`` for scripts."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from commonground.console import fail, out, settings_for, with_database
from commonground.divergence import (
    AsOfOption,
    JsonOption,
    SegmentOption,
    parse_as_of,
    resolve_segment,
)
from commonground.tables import Cell, Column, WideOption, print_table
from graph import calibration as calibrating
from graph import divergence as engine
from graph import research
from graph.kit.connection import Database
from schema.calibration import FunctionCalibration, LeadDaysOutOfRange, check_lead_days
from schema.errors import BadInput, NotFound
from schema.research import EvidenceValue
from schema.sentences import statement

TABLE_ROWS = 20


def _figure(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def calibration(
    function: Annotated[
        str | None, typer.Option("--function", help="Only this function, e.g. marketing.")
    ] = None,
    segment: SegmentOption = None,
    as_of: AsOfOption = None,
    min_lead_days: Annotated[
        float,
        typer.Option(
            "--min-lead-days",
            help="Count only beliefs standing this many days before the evidence resolved the "
            "proposition (default 0: the belief standing just before).",
        ),
    ] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Print each function's calibration: Brier score, skill score and reliability bins over
    the propositions the evidence resolved — whose picture of the customer has been right."""
    try:
        check_lead_days(min_lead_days)
    except LeadDaysOutOfRange as error:
        raise fail(error.message) from None
    settings = settings_for()
    moment = parse_as_of(as_of)
    engine_settings = engine.EngineSettings.from_settings(settings)

    async def work(db: Database) -> list[FunctionCalibration]:
        segment_id = await resolve_segment(db, segment, moment)
        return await db.read(
            calibrating.calibration,
            engine_settings,
            as_of=moment,
            segment_id=segment_id,
            function=function,
            min_lead_days=min_lead_days,
        )

    try:
        rows = with_database(settings, work)
    except (BadInput, NotFound) as error:
        raise fail(error.message) from None
    if as_json:
        print(
            json.dumps(
                {
                    "as_of": moment.isoformat(),
                    "segment": segment,
                    "min_lead_days": min_lead_days,
                    "functions": [r.model_dump(mode="json") for r in rows],
                },
                ensure_ascii=False,
            )
        )
        return
    _print_calibration(rows, moment.strftime("%Y-%m-%d %H:%M"), min_lead_days)


def _quarters(row: FunctionCalibration) -> str:
    return ", ".join(
        f"{q.quarter} {_figure(q.brier_score, 3)} ({q.forecasts})" for q in row.by_quarter
    )


def _print_calibration(rows: list[FunctionCalibration], when: str, lead: float) -> None:
    table: list[list[Cell]] = [
        [
            r.function,
            str(r.forecasts),
            _figure(r.brier_score, 3),
            _figure(r.brier_skill_score),
            f"{r.outcomes_validated}/{r.forecasts - r.outcomes_validated}",
            str(r.reopened),
            _quarters(r) or "—",
        ]
        for r in rows
    ]
    ahead = f", beliefs standing {lead:g} days before resolution" if lead else ""
    print_table(
        [
            Column("function", "short"),
            Column("forecasts", "short", justify="right"),
            Column("Brier", "short", justify="right"),
            Column("skill", "short", justify="right"),
            Column("held/failed", "short", justify="right"),
            Column("reopened", "short", justify="right"),
            Column("by quarter: Brier (forecasts)"),
        ],
        table,
        title=f"Calibration as of {when} UTC{ahead}",
        caption="Brier = mean (p − outcome)², 0 perfect, 0.25 always saying 0.5; skill = 1 − "
        "Brier / the base rate's Brier, above 0 beats the base rate; a proposition resolves at "
        "the first evidence event that validates or refutes it",
    )
    for r in rows:
        if not r.forecasts:
            continue
        bins = "  ".join(
            f"{b.low:.1f}–{b.high:.1f}: {b.count} held {_figure(b.observed_frequency)}"
            for b in r.bins
            if b.count
        )
        out.print(f"[bold]{r.function}[/] reliability: {bins}", highlight=False)


def next_evidence(
    segment: SegmentOption = None,
    function: Annotated[
        str | None,
        typer.Option("--function", help="Only propositions this function holds a belief on."),
    ] = None,
    as_of: AsOfOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=1000, help="At most this many propositions.")
    ] = TABLE_ROWS,
    as_json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Print the evidence to collect next: propositions ranked by value of information ×
    consensus magnitude × (1 + functions far from the evidence), with the items they need."""
    settings = settings_for()
    moment = parse_as_of(as_of)
    engine_settings = engine.EngineSettings.from_settings(settings)

    async def work(db: Database) -> list[EvidenceValue]:
        segment_id = await resolve_segment(db, segment, moment)
        picture = await db.read(
            engine.load_picture, engine_settings, as_of=moment, segment_id=segment_id
        )
        return research.evidence_to_collect(picture, function)

    try:
        rows = with_database(settings, work)
    except (BadInput, NotFound) as error:
        raise fail(error.message) from None
    shown = rows[:limit]
    if as_json:
        print(
            json.dumps(
                {
                    "as_of": moment.isoformat(),
                    "segment": segment,
                    "function": function,
                    "total": len(rows),
                    "propositions": [r.model_dump(mode="json") for r in shown],
                },
                ensure_ascii=False,
            )
        )
        return
    table: list[list[Cell]] = [
        [
            str(n),
            statement(r.proposition),
            r.evidence.status.value.lower(),
            _figure(r.evidence.confidence),
            _figure(r.value_of_information, 3),
            _items(r.items_to_validate),
            _items(r.items_to_refute),
            str(len(r.far_functions)),
            ", ".join(r.far_functions) or "—",
            _figure(r.score, 3),
            r.proposition.id,
        ]
        for n, r in enumerate(shown, start=1)
    ]
    print_table(
        [
            Column("#", "short", justify="right"),
            Column("proposition"),
            Column("status", "short"),
            Column("conf.", "short", justify="right"),
            Column("VoI", "short", justify="right"),
            Column("to validate", "short", justify="right"),
            Column("to refute", "short", justify="right"),
            Column("far", "short", justify="right"),
            Column("functions ≥ 0.25 off", "short", "wide"),
            Column("score", "short", "room", justify="right"),
            Column("proposition id", "id", "wide"),
        ],
        table,
        wide=wide,
        title=f"Evidence to collect next — {len(rows)} propositions, as of "
        f"{moment:%Y-%m-%d %H:%M} UTC",
        caption="VoI = expected shift of confidence from one more interview; to validate / to "
        "refute = interviews all one way that would settle it (— above 1,000); score = VoI × "
        "consensus magnitude × (1 + far: functions whose p is ≥ 0.25 from the confidence; "
        "--wide names them)"
        + (f"; showing {len(shown)} (--limit)" if len(shown) < len(rows) else ""),
    )


def _items(count: int | None) -> str:
    return "—" if count is None else str(count)
