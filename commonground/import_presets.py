"""`commonground import FILE --preset P --links L`: import a tool's own export (Zendesk,
Intercom, Gong, Productboard, Dovetail, Typeform, Salesforce, Canny) through its preset.

Writes through ``graph/imports/presets/`` directly (no HTTP), as
``POST /api/v1/evidence:import?preset=P`` does; prints what each link matched, the records
that matched none and the accounts to create, then what was written.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from commonground.console import err, fail, settings_for, with_database
from commonground.progress import steps
from graph import members
from graph.imports.presets import catalog
from graph.imports.presets.importing import PresetOutcome, import_export
from graph.kit.connection import Database
from schema.errors import NotFound
from schema.imports import ImportOutcome, ImportRejected, ImportRejection
from schema.models import Actor
from schema.presets import PresetReport


async def _actor(db: Database, member: str | None) -> Actor:
    if member is None:
        return Actor.system()
    found = await db.read(members.find, member)
    if found is None or not found.active:
        raise NotFound("active member", member)
    return Actor(member_id=found.id, name=found.name, function=found.function, role=found.role)


def run(
    file: Path,
    preset: str | None,
    links: Path | None,
    *,
    segment: str | None,
    member: str | None,
    dry_run: bool,
    keep_pii: bool,
    as_json: bool,
) -> None:
    if preset is None or links is None:
        raise fail(
            "a preset import needs both --preset (one of "
            + ", ".join(catalog.names())
            + ") and --links (the file saying which records bear on which propositions)"
        )

    export, links_file = file.read_bytes(), links.read_bytes()

    async def work(db: Database) -> PresetOutcome | ImportRejected:
        actor = await _actor(db, member)
        with steps("Importing", err) as report:

            async def advance(done: int, total: int) -> None:
                report(f"{file.name} as {preset}", done, total)

            try:
                return await import_export(
                    db,
                    actor,
                    preset,
                    export,
                    links_file,
                    segment=segment,
                    keep_pii=keep_pii,
                    dry_run=dry_run,
                    progress=advance,
                )
            except ImportRejected as rejected:
                return rejected

    outcome = with_database(settings_for(), work)
    if isinstance(outcome, ImportRejected):
        _print_rejection(outcome, as_json)
        raise typer.Exit(1)
    if as_json:
        result = outcome.result
        written = (
            None if result is None else result.model_dump(include=set(ImportOutcome.model_fields))
        )
        print(json.dumps({"report": outcome.report.model_dump(mode="json"), "import": written}))
        return
    _print_report(outcome.report)
    if outcome.result is None:
        err.print("Dry run: nothing was written.")
        return
    result = outcome.result
    err.print(
        f"Imported {file.name} ({preset}) as {result.import_id}: {result.created} created, "
        f"{result.already_present} already present."
    )
    print(result.import_id)


def _print_report(report: PresetReport) -> None:
    table = Table("link", "looks for", "proposition", "stance", "records", title="Links")
    for count in report.links:
        table.add_row(
            str(count.link),
            count.test,
            count.proposition_id,
            count.stance.value,
            str(count.records),
        )
    err.print(table)
    err.print(
        f"{report.records} record(s): {report.matched} matched a link ({report.items} item(s)), "
        f"{report.unmatched} matched none"
        + (
            f" ({', '.join(report.unmatched_ids[:10])}{' …' if report.unmatched > 10 else ''})"
            if report.unmatched
            else ""
        )
        + (f", {report.repeated} repeated in the export" if report.repeated else "")
        + f". Accounts: {report.accounts_matched} found"
        + (
            ", to create: " + ", ".join(a.name for a in report.accounts_to_create)
            if report.accounts_to_create
            else ""
        )
        + "."
    )


def _print_rejection(rejected: ImportRejected, as_json: bool) -> None:
    if as_json:
        print(json.dumps(ImportRejection.of(rejected).model_dump()))
        return
    table = Table("record", "field", "problem", title="The export was rejected")
    for problem in rejected.problems:
        table.add_row(
            "" if problem.row is None else str(problem.row), problem.column or "", problem.message
        )
    err.print(table)
    err.print(f"{rejected.problem_count} problem(s). Nothing was written.")
