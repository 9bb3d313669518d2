"""One import run as the server and the command line run it: a spooled file validated whole,
then written, under the limits of the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from graph.imports import validation, writing
from graph.imports.mapping import ColumnMapping
from graph.kit.connection import Database
from schema.imports import ImportFormat
from schema.models import Actor
from schema.settings import Settings


@dataclass(frozen=True)
class Limits:
    """The longest line read, the lease an import holds its rows under, and how many
    imports one member may run at once (None: no cap)."""

    line_bytes: int
    lease_s: float
    per_member: int | None

    @classmethod
    def of(cls, settings: Settings, *, capped: bool = True) -> Limits:
        return cls(
            line_bytes=settings.max_import_line_bytes,
            lease_s=settings.import_lease_s,
            per_member=settings.max_imports_per_member if capped else None,
        )


async def run(
    db: Database,
    actor: Actor,
    raw: IO[bytes],
    fmt: ImportFormat,
    mapping: ColumnMapping,
    limits: Limits,
    *,
    delimiter: str = ",",
    bookmarks: list[str] | None = None,
    progress: writing.ProgressCallback | None = None,
) -> writing.ImportResult:
    """Validate the file whole (ImportRejected: nothing written), then write it."""
    validated = await validation.validate(
        db,
        raw,
        fmt,
        mapping,
        delimiter=delimiter,
        bookmarks=bookmarks,
        line_limit=limits.line_bytes,
    )
    try:
        return await writing.write(
            db,
            actor,
            validated,
            progress=progress,
            lease_s=limits.lease_s,
            max_running=limits.per_member,
        )
    finally:
        validated.close()
