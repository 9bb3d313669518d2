"""`commonground snapshot …`: create, list, export, diff, restore, delete and purge
alignment snapshots."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from commonground.console import err, fail, out, parse_time, settings_for, with_database
from commonground.tables import Column, WideOption, print_table
from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots.figures import figures_for
from graph.snapshots.quota import quota_for
from graph.snapshots.store import FiguresFn
from schema.errors import CommonGroundError
from schema.models import Actor
from schema.settings import Settings
from schema.snapshots import SnapshotDiff, SnapshotInfo

app = typer.Typer(
    help="Alignment snapshots: freeze, export, compare, restore.", no_args_is_help=True
)


def _figures(settings: Settings) -> FiguresFn:
    return figures_for(EngineSettings.from_settings(settings))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


@app.command("create")
def create(
    label: Annotated[str | None, typer.Option("--label", help="e.g. 'Q3 planning'.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Freeze the model as of this time (ISO, UTC by default)."),
    ] = None,
) -> None:
    """Freeze the model and its alignment figures as of a time (default: now)."""
    from graph.snapshots import store as snapshots

    settings = settings_for()
    moment = parse_time(as_of)

    async def work(db: Database) -> tuple[SnapshotInfo, bool]:
        with _progress() as bar:
            task = bar.add_task("freezing the model", total=None)
            return await snapshots.create(
                db,
                Actor.system(),
                _figures(settings),
                label=label,
                as_of=moment,
                on_record=lambda _: bar.advance(task),
                quota=quota_for(settings),
            )

    info, _ = with_database(settings, work)
    alpha = "—" if info.alignment_alpha is None else f"{info.alignment_alpha:.2f}"
    err.print(
        f"Snapshot [bold]{info.id}[/] as of {info.as_of.isoformat()}: "
        f"{sum(info.counts.values())} records, alignment index {alpha}\n"
        f"fingerprint {info.fingerprint}",
        highlight=False,
    )
    print(info.id)


@app.command("list")
def list_snapshots(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    wide: WideOption = False,
) -> None:
    """List the snapshots, newest first, each with its whole id (for export, diff)."""
    from graph.snapshots import store as snapshots

    async def work(db: Database) -> list[SnapshotInfo]:
        found, _ = await db.read(snapshots.list_page, after=None, limit=1000)
        return found

    found = with_database(settings_for(), work)
    if as_json:
        print(json.dumps([s.model_dump(mode="json") for s in found], indent=2))
        return
    if not found:
        err.print("No snapshots yet: `commonground snapshot create --label …` makes one.")
        return
    print_table(
        [
            Column("id", "id"),
            Column("label"),
            Column("as of", "short"),
            Column("alpha", "short", justify="right"),
            Column("records", "short", justify="right"),
            Column("created", "short", "room"),
            Column("fingerprint", "id", "wide"),
        ],
        [
            [
                s.id,
                s.label or "",
                f"{s.as_of:%Y-%m-%d %H:%M}",
                "—" if s.alignment_alpha is None else f"{s.alignment_alpha:.2f}",
                str(sum(s.counts.values())),
                f"{s.created_at:%Y-%m-%d %H:%M}",
                s.fingerprint,
            ]
            for s in found
        ],
        wide=wide,
    )


ReasonOption = Annotated[str, typer.Option("--reason", help="Why, for the audit log.")]


@app.command("delete")
def delete(
    snapshot_id: Annotated[str, typer.Argument(help="The snapshot's id (snap-…).")],
    reason: ReasonOption,
) -> None:
    """Delete a snapshot and its content (audited): makes room under COMMONGROUND_MAX_SNAPSHOTS."""
    from graph.snapshots import removal

    now = datetime.now(UTC)
    info = with_database(
        settings_for(),
        lambda db: db.write(removal.delete, Actor.system(), snapshot_id, reason, now),
    )
    err.print(f"Deleted snapshot {info.id} ({info.label or 'unlabelled'}).", highlight=False)


@app.command("purge")
def purge(
    evidence_id: Annotated[str, typer.Argument(help="A redacted evidence item's id.")],
    reason: ReasonOption,
) -> None:
    """Take a redacted evidence item's text and key out of every stored snapshot (audited;
    each changed snapshot's new fingerprint is recorded beside the old one)."""
    from graph.snapshots import removal

    now = datetime.now(UTC)
    changed = with_database(
        settings_for(),
        lambda db: removal.purge_redacted(db, Actor.system(), evidence_id, reason, now),
    )
    if not changed:
        err.print("No stored snapshot held its text or key.")
    for info in changed:
        purge = info.purges[-1]
        print(f"{info.id}\t{purge.fingerprint_before} -> {purge.fingerprint_after}")


def _is_directory(output: Path) -> bool:
    """Where CSV goes: an existing directory, or a new path not named like a file (*.csv)."""
    if output.exists():
        return output.is_dir()
    return output.suffix.lower() != ".csv"


@app.command("export")
def export(
    snapshot_id: Annotated[str, typer.Argument(help="The snapshot's id (snap-…).")],
    fmt: Annotated[str, typer.Option("--format", help="json | md | html | csv")] = "json",
    no_quotes: Annotated[
        bool,
        typer.Option("--no-quotes", help="Leave evidence quotes out (for outside audiences)."),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Write here instead of stdout. With --format csv, a path ending in .csv is "
            "one table's file; any other path is a directory (created if missing) that gets "
            "every table as ID-TABLE.csv, or only --table's.",
        ),
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="CSV: one table (heatmap when writing a file or stdout): "
            "heatmap, gaps_by_function, top_gaps, disagreements, structural_gaps, alignment, "
            "history, entities, propositions, evidence, beliefs.",
        ),
    ] = None,
) -> None:
    """Export a snapshot: JSON (restorable), Markdown, HTML report or CSV tables.

    `snapshot export ID --format csv --output tables/` writes all eleven CSV tables into
    tables/ (creating it); `--output heatmap.csv` writes one table as a file.
    """
    from graph.snapshots import store as snapshots
    from graph.snapshots.export import FORMATS
    from graph.snapshots.export import export as render
    from graph.snapshots.export.tables import TABLES

    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}")
    if table is not None and table not in TABLES:
        raise fail(f"--table must be one of {', '.join(TABLES)}")
    if output is not None and output.is_dir() and fmt != "csv":
        raise fail(f"--output {output} is a directory; only --format csv writes one per table")
    to_directory = output is not None and fmt == "csv" and _is_directory(output)

    async def write(db: Database, handle: IO[bytes], name: str | None, bar: Progress) -> None:
        info = await snapshots.get(db, snapshot_id)
        total = sum(info.counts.values()) if fmt in ("json", "csv") else None
        task = bar.add_task(f"exporting {name or fmt}", total=total)
        async for piece in render(db, snapshot_id, fmt, quotes=not no_quotes, table=name):
            handle.write(piece)
            if total is not None:
                bar.update(task, advance=piece.count(b"\n"))

    async def work(db: Database) -> list[Path]:
        written: list[Path] = []
        await snapshots.get(db, snapshot_id)  # a mistyped id leaves no file or directory
        with _progress() as bar:
            if to_directory:
                assert output is not None
                output.mkdir(parents=True, exist_ok=True)
                for name in TABLES if table is None else (table,):
                    path = output / f"{snapshot_id}-{name}.csv"
                    with path.open("wb") as handle:
                        await write(db, handle, name, bar)
                    written.append(path)
            elif output is not None:
                output.parent.mkdir(parents=True, exist_ok=True)
                with output.open("wb") as handle:
                    await write(db, handle, table, bar)
                written.append(output)
            else:
                await write(db, sys.stdout.buffer, table, bar)
                sys.stdout.buffer.flush()
        return written

    for path in with_database(settings_for(), work):
        err.print(f"Wrote {path}", highlight=False)


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _print_diff(result: SnapshotDiff, *, wide: bool) -> None:
    change = result.alpha_change
    out.print(
        f"[bold]{result.from_id}[/] ({result.from_as_of:%Y-%m-%d}) → [bold]{result.to_id}[/] "
        f"({result.to_as_of:%Y-%m-%d})\nalignment index {_p(result.alpha_before)} → "
        f"{_p(result.alpha_after)}"
        + ("" if change is None else f" ({change:+.2f})")
        + f"; mean difference {_p(result.mean_abs_difference_before)} → "
        f"{_p(result.mean_abs_difference_after)}",
        highlight=False,
    )
    for sentence in result.calibration_changes:
        out.print(sentence[0].upper() + sentence[1:] + ".", highlight=False)
    changed = [
        [label, row.kind.lower(), row.name, row.id]
        for label, rows in (
            ("added", result.entities_added + result.propositions_added),
            ("removed", result.entities_removed + result.propositions_removed),
            ("retired", result.entities_retired + result.propositions_retired),
        )
        for row in rows
    ]
    if changed:
        model = [Column("change", "short"), Column("kind", "short"), Column("name")]
        print_table([*model, Column("id", "id")], changed, title="Entities and propositions")
    else:
        out.print("No entities or propositions changed.")
    proposition_id = Column("proposition id", "id", "wide")
    shifts = [
        [
            s.function,
            s.text,
            _p(s.before),
            _p(s.after),
            s.change if s.delta is None else f"{s.delta:+.2f}",
            s.proposition_id,
        ]
        for s in sorted(result.belief_shifts, key=lambda s: (s.function, s.text))
    ]
    if shifts:
        print_table(
            [
                Column("function", "short"),
                Column("proposition"),
                Column("before", "short", justify="right"),
                Column("after", "short", justify="right"),
                Column("change", "short", justify="right"),
                proposition_id,
            ],
            shifts,
            wide=wide,
            title=f"Belief shifts (by {result.shift_threshold:g} or more)",
        )
    else:
        out.print("No belief moved.")
    divergences = [
        [
            "belief gap" if d.kind == "belief_gap" else "disagreement",
            d.change,
            d.function or "",
            d.text,
            _p(d.before),
            _p(d.after),
            d.proposition_id,
        ]
        for d in result.divergence_changes
    ]
    if divergences:
        print_table(
            [
                Column("divergence", "short"),
                Column("change", "short"),
                Column("function", "short"),
                Column("proposition"),
                Column("before", "short", justify="right"),
                Column("after", "short", justify="right"),
                proposition_id,
            ],
            divergences,
            wide=wide,
            title="Divergences",
        )
    else:
        out.print("No divergence changed.")


@app.command("diff")
def diff(
    older: Annotated[str, typer.Argument(help="The earlier snapshot's id.")],
    newer: Annotated[str, typer.Argument(help="The later snapshot's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    wide: WideOption = False,
) -> None:
    """What changed between two snapshots."""
    from graph.snapshots import diff as snapshot_diff

    result = with_database(settings_for(), lambda db: snapshot_diff.diff(db, older, newer))
    if as_json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        _print_diff(result, wide=wide)


@app.command("restore")
def restore(
    file: Annotated[
        Path, typer.Argument(help="A JSON snapshot file.", exists=True, dir_okay=False)
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Add the content to a database that already has entities."),
    ] = False,
) -> None:
    """Restore a snapshot file into an empty database (same ids, times and fingerprint)."""
    from graph.snapshots import restore as snapshot_restore
    from graph.snapshots.content import Fingerprinter, from_iso, iter_content

    try:
        snapshot = snapshot_restore.SnapshotFile(file)
    except CommonGroundError as error:
        raise fail(error.message) from None

    async def work(db: Database) -> tuple[dict[str, int], str]:
        with _progress() as bar:
            task = bar.add_task("restoring", total=None)
            written = await snapshot_restore.restore(
                db, snapshot, force=force, on_progress=lambda _, n: bar.advance(task, n)
            )
            hasher = Fingerprinter()
            as_of = from_iso(snapshot.header.snapshot["as_of"])
            assert as_of is not None
            async for section, record in iter_content(db, as_of):
                hasher.add(section, record)
        return written, hasher.hexdigest()

    written, fingerprint = with_database(settings_for(), work)
    counts = ", ".join(f"{n} {section}" for section, n in written.items())
    err.print(f"Restored {counts}.", highlight=False)
    if fingerprint == snapshot.header.snapshot["fingerprint"]:
        err.print(f"Fingerprint verified: {fingerprint}", highlight=False)
    else:
        err.print(
            f"The database as of {snapshot.header.snapshot['as_of']} now fingerprints "
            f"{fingerprint[:16]}…, not the file's {snapshot.header.snapshot['fingerprint'][:16]}…"
            " (it held other content before the restore).",
            highlight=False,
        )
