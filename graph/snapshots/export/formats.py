"""The export formats and the one entry point that streams a snapshot in any of them."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graph.kit.connection import Database
from graph.snapshots import store
from graph.snapshots.export import html, markdown, tables
from graph.snapshots.file import iter_json, strip_figure_quotes
from schema.snapshots import UnknownExportFormat

FORMATS = ("json", "md", "html", "csv")
MEDIA_TYPES = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


async def export(
    db: Database,
    snapshot_id: str,
    fmt: str,
    *,
    quotes: bool = True,
    table: str | None = None,
) -> AsyncIterator[bytes]:
    """The snapshot in a format, as a stream of byte pieces."""
    if fmt not in FORMATS:
        raise UnknownExportFormat(fmt, FORMATS)
    info = await store.get(db, snapshot_id)
    if fmt == "json":
        async for piece in iter_json(db, snapshot_id, quotes=quotes):
            yield piece
        return
    figures = await store.figures(db, snapshot_id)
    if not quotes:
        figures = strip_figure_quotes(figures)
    if fmt == "csv":
        async for text in tables.render(
            db, info, figures, table or tables.DEFAULT_TABLE, quotes=quotes
        ):
            yield text.encode("utf-8")
        return
    renderer = html.render if fmt == "html" else markdown.render
    for text in renderer(info, figures, quotes=quotes):
        yield text.encode("utf-8")
