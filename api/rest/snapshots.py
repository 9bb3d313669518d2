"""REST: snapshot files, streamed: the restorable JSON, Markdown and HTML reports, CSV tables.

``GET /api/v1/snapshots/{id}.{json|md|html|csv}`` needs a token like every data read;
``?quotes=false`` leaves evidence quotes out (for audiences outside the company) and
``?table=`` picks a CSV table. The body is written as it is read from the snapshot's chunks,
so the server's memory does not grow with the snapshot.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.dependencies import ActorDep, DatabaseDep
from graph.snapshots import store
from graph.snapshots.export import FORMATS, MEDIA_TYPES, export
from graph.snapshots.export.tables import TABLES
from schema.snapshots import SnapshotNotFound, TableOnlyForCsv, UnknownExportFormat

router = APIRouter(prefix="/api/v1/snapshots", tags=["snapshots"])


@router.get(
    "/{snapshot_id}.{fmt}",
    summary="A snapshot as a file: json (restorable), md, html (self-contained report) or csv",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, streamed.",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        400: {"description": "Unknown format or table."},
        401: {"description": "No valid token."},
        404: {"description": "No such snapshot."},
    },
)
async def snapshot_file(
    snapshot_id: str,
    fmt: str,
    db: DatabaseDep,
    actor: ActorDep,
    quotes: Annotated[
        bool, Query(description="false leaves evidence quotes out, for outside audiences")
    ] = True,
    table: Annotated[
        str | None, Query(description=f"CSV only: one of {', '.join(TABLES)} (default heatmap)")
    ] = None,
) -> StreamingResponse:
    # Checked before the first byte, so a refusal is a 400 or 404, not a broken stream.
    if fmt not in FORMATS:
        raise UnknownExportFormat(fmt, FORMATS, what="the file type")
    if table is not None and (fmt != "csv" or table not in TABLES):
        raise TableOnlyForCsv(table, fmt, TABLES)
    info = await store.find(db, snapshot_id)
    if info is None:
        raise SnapshotNotFound(snapshot_id)
    suffix = "" if quotes else "-public"
    name = f"{info.id}{suffix}{'-' + table if table else ''}.{fmt}"
    disposition = "inline" if fmt in ("html", "md") else "attachment"
    return StreamingResponse(
        export(db, info.id, fmt, quotes=quotes, table=table),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "X-Snapshot-Fingerprint": info.fingerprint,
        },
    )
