"""What every command shares: the two consoles, one-line errors, settings, the database
connection with its schema applied, and `--as-of` parsing. Commands import this; it imports
no command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from commonground.progress import working
from graph import startup
from graph.kit import local_neo4j
from graph.kit.connection import Database, DatabaseNotConfigured, Timeouts, target_for
from schema.errors import CommonGroundError
from schema.settings import Settings, get_settings
from schema.times import UnreadableTime, read_time

T = TypeVar("T")

out = Console()
err = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="The local database's directory (COMMONGROUND_DATA_DIR)."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def settings_for(data_dir: Path | None = None) -> Settings:
    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"commonground_data_dir": data_dir})
    return settings


def parse_time(value: str | None) -> datetime | None:
    """An ``--as-of`` value: an ISO date or date-time, UTC when it names no zone."""
    if value is None:
        return None
    try:
        return read_time(value)
    except UnreadableTime:
        raise fail(f"--as-of {value!r} is not an ISO date or date-time") from None


def open_database(settings: Settings) -> Database:
    try:
        target = target_for(settings)
    except DatabaseNotConfigured as error:
        raise fail(str(error)) from None
    if target.local:
        status = local_neo4j.status(settings.data_dir)
        if status is None or not status.running:
            raise fail("the local database is not running: start it with `commonground db start`")
    return Database.connect(
        target, Timeouts(connection_s=10, acquisition_s=30, retry_s=30, transaction_s=600)
    )


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database, schema applied, with friendly errors."""

    async def run() -> T:
        db = open_database(settings)
        try:
            # Quick once the schema is there; the first time, on a fresh store, it is not.
            with working("preparing the database (schema, default functions)", err, after_s=2):
                await startup.apply_schema(db)
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(run())
    except CommonGroundError as error:
        raise fail(error.message) from None
    except OSError as error:
        if error.filename is not None:  # a file the command reads or writes, not the network
            raise fail(f"{error.strerror}: {error.filename}") from None
        raise fail(f"cannot reach the database: {error}") from None
