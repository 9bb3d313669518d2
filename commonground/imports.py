"""`commonground import FILE`: bulk-import evidence from CSV or JSON Lines, with a progress bar.

Writes through ``graph/imports/`` directly (no HTTP), with the same column mapping,
whole-file validation and row-numbered report as ``POST /api/v1/evidence:import``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from commonground import import_presets
from commonground.console import err, fail, settings_for, with_database
from graph import members
from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.imports.writing import ImportResult
from graph.kit.connection import Database
from schema.errors import NotFound
from schema.imports import (
    FIELD_HELP,
    FIELDS,
    REQUIRED,
    ImportFormat,
    ImportMappingInvalid,
    ImportOutcome,
    ImportRejected,
    ImportRejection,
)
from schema.models import Actor
from schema.vocabulary import SOURCE_TYPES

_SUFFIXES = {".csv": ImportFormat.CSV, ".jsonl": ImportFormat.JSONL, ".ndjson": ImportFormat.JSONL}


def import_evidence(
    file: Annotated[
        Path, typer.Argument(help="The CSV or JSON Lines file.", exists=True, dir_okay=False)
    ],
    format: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="csv or jsonl (default: from the file's extension)."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help='A JSON file mapping our fields to your columns, e.g. {"summary": "Subject", '
            '"source_type": {"const": "support_ticket"}}.',
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    member: Annotated[
        str | None,
        typer.Option("--member", help="Record the evidence as this member (and their function)."),
    ] = None,
    delimiter: Annotated[str, typer.Option(help="The CSV delimiter.")] = ",",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result or the report as JSON.")
    ] = False,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="The tool FILE is an export of: zendesk, intercom, gong, productboard, "
            "dovetail, typeform, salesforce or canny (needs --links).",
        ),
    ] = None,
    links: Annotated[
        Path | None,
        typer.Option(
            "--links",
            help="With --preset: the links file (YAML or JSON) saying which records bear on "
            "which propositions.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    segment: Annotated[
        str | None,
        typer.Option("--segment", help="With --preset: the segment new accounts are made in."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --preset: show what would be written.")
    ] = False,
    keep_pii: Annotated[
        bool,
        typer.Option("--keep-pii", help="With --preset: keep e-mail addresses and phone numbers."),
    ] = False,
) -> None:
    # Its help is set below by _help(), from the one list of fields.
    if preset is not None or links is not None:
        if format is not None or mapping is not None:
            raise fail("--preset reads the tool's own export: leave out --format and --mapping")
        import_presets.run(
            file,
            preset,
            links,
            segment=segment,
            member=member,
            dry_run=dry_run,
            keep_pii=keep_pii,
            as_json=as_json,
        )
        return
    fmt = format or _SUFFIXES.get(file.suffix.lower())
    if fmt is None:
        raise fail(f"say the format of {file.name}: --format csv or --format jsonl")
    try:
        column_mapping = ColumnMapping.parse(mapping.read_bytes() if mapping else None)
    except ImportMappingInvalid as error:
        raise fail(error.message) from None

    settings = settings_for()

    async def work(db: Database) -> ImportResult | ImportRejected:
        actor = Actor.system()
        if member is not None:
            found = await db.read(members.find, member)
            if found is None or not found.active:
                raise NotFound("active member", member)
            actor = Actor(
                member_id=found.id, name=found.name, function=found.function, role=found.role
            )
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as progress:
            checking = progress.add_task(f"Validating {file.name}", total=None)
            with file.open("rb") as raw:
                try:
                    validated = await validation.validate(
                        db,
                        raw,
                        fmt,
                        column_mapping,
                        delimiter=delimiter,
                        line_limit=settings.max_import_line_bytes,
                    )
                except ImportRejected as rejected:
                    return rejected
            progress.update(checking, total=1, completed=1)
            written = progress.add_task("Writing", total=validated.distinct)

            async def advance(done: int, total: int) -> None:
                progress.update(written, completed=done)

            try:
                return await writing.write(
                    db, actor, validated, progress=advance, lease_s=settings.import_lease_s
                )
            finally:
                validated.close()

    outcome = with_database(settings, work)
    if isinstance(outcome, ImportRejected):
        if as_json:
            print(json.dumps(ImportRejection.of(outcome).model_dump()))
        else:
            table = Table("row", "column", "problem", title="The file was rejected")
            for problem in outcome.problems:
                table.add_row(
                    "" if problem.row is None else str(problem.row),
                    problem.column or "",
                    problem.message,
                )
            err.print(table)
            err.print(
                f"{outcome.problem_count} problem(s)"
                + (
                    f"; the first {len(outcome.problems)} are shown"
                    if outcome.problem_count > len(outcome.problems)
                    else ""
                )
                + ". Nothing was written."
            )
        raise typer.Exit(1)
    if as_json:
        print(json.dumps(outcome.model_dump(include=set(ImportOutcome.model_fields))))
        return
    err.print(
        f"Imported {file.name} as {outcome.import_id} at {datetime.now(UTC):%H:%M:%S} UTC: "
        f"{outcome.rows} row(s), {outcome.created} created, {outcome.already_present} already "
        f"present, {outcome.duplicates} repeated in the file."
    )
    print(outcome.import_id)


def _help() -> str:
    """The command's help: what it does, then each field a mapping may name, a line each."""
    width = max(len(name) for name in FIELDS)
    fields = "\n".join(
        f"{name:<{width}}  {'(required) ' if name in REQUIRED else ''}{what}"
        for name, what in FIELD_HELP.items()
    )
    # One line per paragraph: the help reflows each to the terminal's width.
    return "\n\n".join(
        [
            "Bulk-import evidence from CSV or JSON Lines.",
            "The file is validated whole first (a bad row rejects the file, nothing written), "
            "then written in batches that count only once the last one commits. Resending the "
            "same file writes nothing new.",
            "The fields of an item. --mapping names the column of each; a field it leaves out "
            'is read from a column named like it. An entry is a column name ("Subject") or an '
            'object: {"column": ...}, {"const": "survey"}, {"column": ..., "values": '
            '{"positive": "SUPPORTS"}}, and for observed_at {"column": ..., "format": '
            '"%d/%m/%Y"}.',
            fields,
            f"Source types: {', '.join(SOURCE_TYPES)}.",
            "A tool's own export: --preset zendesk|intercom|gong|productboard|dovetail|"
            "typeform|salesforce|canny --links L [--segment S] [--dry-run] [--keep-pii].",
            "More, with an example: docs/import.md.",
        ]
    )


import_evidence.__doc__ = _help()
