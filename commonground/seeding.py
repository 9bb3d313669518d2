"""`commonground seed`: load the demo company, or finish a load that was cut short."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from commonground.console import err, settings_for, with_database
from commonground.progress import steps
from graph.kit import migrations
from graph.kit.connection import Database


def seed(
    scale: Annotated[
        int, typer.Option(help="Add N synthetic evidence items (for benchmarks).")
    ] = 0,
    only_if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Do nothing when the model already has entities (unless an earlier demo "
            "load was cut short: then finish it).",
        ),
    ] = False,
) -> None:
    """Load the demo company (idempotent: loading twice leaves the same graph)."""
    from graph import seeding

    settings = settings_for()

    async def work(db: Database) -> dict[str, int] | None:
        if only_if_empty and await migrations.entity_count(db) > 0:
            if not await seeding.unfinished(db):
                return None
            err.print("An earlier load of the demo company was cut short; finishing it.")
        err.print(
            "Loading the demo company"
            + (f" and {scale} synthetic evidence items" if scale else "")
            + " (about a minute)…",
            highlight=False,
        )
        with steps("Loading", err) as report:
            return await seeding.load_demo(db, on_progress=report, scale=scale)

    counts = with_database(settings, work)
    if counts is None:
        err.print("The model already has entities; the demo company was not loaded.")
        return
    table = Table(title="Demo company loaded", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    err.print(table)
