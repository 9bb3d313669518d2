"""`commonground decisions`: the recorded decisions and whether the evidence still backs them,
in plain words for people and ``--json`` for scripts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape

from commonground.console import out, parse_time, settings_for, with_database
from graph import decisions as repo
from graph.decisions.reading import Readable, readable
from graph.divergence.settings import EngineSettings
from graph.kit.connection import Database
from schema.decisions import BasisCheck, DecisionCheck

MOVED_SHOWN = 3  # items printed per proposition; --json lists them all (up to the limit)
QUOTE = 24  # the least of an item's quote shown, however narrow the terminal
INDENT = 8  # where an item's line starts


def decisions(
    at_risk: Annotated[
        bool, typer.Option("--at-risk", help="Only the decisions the evidence no longer backs.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Check as of this time (ISO date or date-time, UTC by default)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the recorded decisions and whether the evidence since still backs them."""
    settings = settings_for()
    moment = parse_time(as_of) or datetime.now(UTC)
    engine = EngineSettings.from_settings(settings)

    async def work(db: Database) -> tuple[list[DecisionCheck], Readable]:
        checks = await db.read(
            repo.checked_as_of, engine, as_of=moment, at_risk=True if at_risk else None
        )
        return checks, await db.read(readable, checks)

    checks, words = with_database(settings, work)
    if as_json:
        print(json.dumps(_as_json(checks, words, moment, engine), ensure_ascii=False))
        return
    _print(checks, words, moment, engine, at_risk_only=at_risk)


def _as_json(
    checks: list[DecisionCheck], words: Readable, moment: datetime, engine: EngineSettings
) -> dict[str, Any]:
    def basis(b: BasisCheck) -> dict[str, Any]:
        return {
            **b.model_dump(mode="json"),
            "at_risk": b.at_risk,
            "statement": words.sentences.get(b.current_id),
        }

    return {
        "as_of": moment.isoformat(),
        "confidence_shift": engine.decision_confidence_shift,
        "total": len(checks),
        "at_risk": sum(c.at_risk for c in checks),
        "decisions": [
            {
                **c.decision.model_dump(mode="json", exclude={"basis"}),
                "at_risk": c.at_risk,
                "basis": [basis(b) for b in c.basis],
            }
            for c in checks
        ],
    }


def _print(
    checks: list[DecisionCheck],
    words: Readable,
    moment: datetime,
    engine: EngineSettings,
    *,
    at_risk_only: bool,
) -> None:
    shift = engine.decision_confidence_shift
    when = f"as of {moment:%Y-%m-%d %H:%M} UTC"
    if not checks:
        what = "No decision is at risk" if at_risk_only else "No decision has been recorded"
        out.print(f"{what} {when}.")
        if not at_risk_only:
            out.print("Record one with the recordDecision mutation or from the workshop page.")
        return
    risky = sum(c.at_risk for c in checks)
    count = f"{len(checks)} decision{'' if len(checks) == 1 else 's'}"
    head = f"{count} at risk" if at_risk_only else f"{count}, {risky} at risk"
    out.print(f"[bold]{head}[/] — {when}", highlight=False)
    out.print(
        f"[dim]At risk: another status, a confidence shift of {shift:.2f} or more, or a "
        "proposition retired or merged. The evidence seen then and the evidence now are "
        "both weighed at this time: age alone changes nothing.[/]",
        highlight=False,
    )
    for check in checks:
        _print_decision(check, words)


def _print_decision(check: DecisionCheck, words: Readable) -> None:
    d = check.decision
    flag = "[bold red]AT RISK[/]" if check.at_risk else "[green]standing[/]"
    out.print()
    out.print(f"{flag}  [bold]{escape(d.title)}[/]", highlight=False)
    by = f" by {d.function}" if d.function else ""
    out.print(f"  {d.id} · decided {d.decided_at:%Y-%m-%d}{by}", highlight=False)
    if d.rationale:
        out.print(f"  why: {escape(d.rationale)}", highlight=False)
    for b in check.basis:
        statement = words.sentences.get(b.current_id, b.current_id)
        mark = "[red]![/]" if b.at_risk else "·"
        out.print(f"  {mark} {escape(statement)}", highlight=False)
        out.print(
            f"      then {b.status_then.value.lower()} {b.confidence_then:.2f}"
            f" → now {b.status_now.value.lower()} {b.confidence_now:.2f}",
            highlight=False,
        )
        for reason in b.reasons:
            out.print(f"      – {escape(reason)}", highlight=False)
        if b.moved_by_count:
            out.print(f"      moved by {b.moved_by_count} items since:", highlight=False)
            for item_id in b.moved_by[:MOVED_SHOWN]:
                out.print(f"        {escape(_item(item_id, words))}", highlight=False)
            if b.moved_by_count > MOVED_SHOWN:
                out.print(f"        … and {b.moved_by_count - MOVED_SHOWN} more", highlight=False)


def _item(item_id: str, words: Readable) -> str:
    """One item on one line of the terminal: its id, kind, date and as much quote as fits."""
    item = words.evidence.get(item_id)
    if item is None:
        return item_id
    state = "retracted" if item.retracted_at else f"{item.recorded_at:%Y-%m-%d}"
    head = f"{item.id} ({item.source_type.replace('_', ' ')}, {state}) "
    text = (item.summary or "(text removed)").strip("“”\"' ")
    room = max(QUOTE, out.width - INDENT - len(head) - 2)
    quote = text if len(text) <= room else text[: room - 1] + "…"
    return f"{head}“{quote}”"
