"""REST: bulk import of evidence (CSV or JSON Lines with a column mapping), streamed.

The body is streamed to a spool file with the size limit applied as it arrives, validated
whole (a bad row rejects the file with a row-numbered report, nothing written), then written
in batches under an import id that becomes visible only when its last batch commits
(``graph/imports/``).
"""

from __future__ import annotations

import tempfile
from typing import IO, Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.dependencies import ActorDep, DatabaseDep, SettingsDep
from api.limits import BodyTooLarge
from api.rest.import_presets import PRESET_DESCRIPTION, import_preset
from graph.imports import running, slots, writing
from graph.imports.mapping import ColumnMapping
from schema.imports import (
    FIELD_HELP,
    REQUIRED,
    ImportFormat,
    ImportMappingSentTwice,
    ImportNotFound,
    ImportOutcome,
    ImportRejected,
    ImportRejection,
)
from schema.members import ViewerCannotWrite
from schema.vocabulary import SOURCE_TYPES

router = APIRouter(prefix="/api/v1", tags=["import"])

IMPORT_PATH = "/api/v1/evidence:import"

_CONTENT_TYPES = {
    "text/csv": ImportFormat.CSV,
    "application/csv": ImportFormat.CSV,
    "application/x-ndjson": ImportFormat.JSONL,
    "application/jsonl": ImportFormat.JSONL,
    "application/json-lines": ImportFormat.JSONL,
    "application/jsonlines": ImportFormat.JSONL,
    "application/x-jsonlines": ImportFormat.JSONL,
}

CSV_EXAMPLE = (
    "Ticket ID,Ticket subject,Created,Org ID,Proposition,Stance,Score\n"
    "48213,Setup took our admin two weeks,2026-03-04 10:22,acct-northwind,"
    "prop-3f1c0d9b8e2a4f6a1b7c9d0e,supports,4\n"
)
JSONL_EXAMPLE = (
    '{"summary": "Could not connect our CRM", "source_type": "interview", '
    '"proposition_id": "prop-3f1c0d9b8e2a4f6a1b7c9d0e", "stance": "SUPPORTS", '
    '"observed_at": "2026-05-03", "idempotency_key": "int-2026-05-03-acme"}\n'
)
MAPPING_EXAMPLE = (
    '{"summary": "Ticket subject", "observed_at": "Created", "source_ref": "Ticket ID", '
    '"account_id": "Org ID", "proposition_id": "Proposition", "stance": "Stance", '
    '"magnitude": "Score", "source_type": {"const": "support_ticket"}, '
    '"idempotency_key": "Ticket ID"}'
)


class ImportSummary(ImportOutcome):
    """What an import wrote."""

    bookmark: str | None = Field(
        description="Send it back in `X-Bookmark` to read this import's evidence on a cluster."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "import_id": "import-5b0c2a9e7d1f4c3a",
                    "status": "complete",
                    "rows": 2,
                    "created": 2,
                    "already_present": 0,
                    "duplicates": 0,
                    "bookmark": "FB:kcwQ...",
                }
            ]
        }
    }


class ImportRejectedBody(ImportRejection):
    """The file was refused whole; nothing was written."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "error": "BAD_USER_INPUT",
                    "message": "the file was rejected, nothing was written: 1 problem(s); ...",
                    "problem_count": 1,
                    "problems": [
                        {
                            "row": 7,
                            "column": "Stance",
                            "message": "stance must be SUPPORTS or CONTRADICTS, got 'maybe'",
                        }
                    ],
                }
            ]
        }
    }


class ErrorBody(BaseModel):
    error: str
    message: str


class ImportStatus(BaseModel):
    """An import's state: `running`, `complete`, `failed`, or `interrupted` (its process
    stopped renewing its lease: its rows stay invisible until a resend takes them over)."""

    id: str
    status: str
    rows: int
    format: str | None = None
    function: str | None = None
    created_by: str
    created_at: str
    completed_at: str | None = None
    created: int | None = None
    already_present: int | None = None
    duplicates: int | None = None
    error: str | None = None


def _format(requested: ImportFormat | None, content_type: str | None) -> ImportFormat:
    if requested is not None:
        return requested
    media = (content_type or "").split(";")[0].strip().lower()
    if media in _CONTENT_TYPES:
        return _CONTENT_TYPES[media]
    raise HTTPException(
        415,
        "say what the body is: ?format=csv or ?format=jsonl, or Content-Type text/csv or "
        "application/x-ndjson",
    )


async def _spool(request: Request, limit: int) -> IO[bytes]:
    """Stream the body to a temporary file, refusing it as soon as it passes ``limit``.

    The body-size middleware applies the same limit; this keeps the route safe on its own."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    spool = tempfile.TemporaryFile(prefix="commonground-upload-")
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    return spool


def _bookmarks(header: str | None) -> list[str] | None:
    marks = [b.strip() for b in (header or "").split(",") if b.strip()]
    return marks or None


@router.post(
    "/evidence:import",
    summary="Bulk-import evidence from a CSV or JSON Lines file",
    description=(
        "Send the file as the request body (streamed; up to the import size limit). Say its "
        "format with `?format=csv|jsonl` or the Content-Type (`text/csv`, "
        "`application/x-ndjson`). A column `mapping` (JSON, in the query or the "
        "`X-Import-Mapping` header) names the source column of each of our fields, or gives a "
        'constant (`{"const": "survey"}`), translates values (`{"column": "Sentiment", '
        '"values": {"positive": "SUPPORTS"}}`) or parses dates (`{"column": "Created", '
        '"format": "%d/%m/%Y"}`); unmapped fields are read from columns named like them. The '
        "fields:\n\n"
        + "\n".join(
            f"- `{name}`{' (required)' if name in REQUIRED else ''}: {what}"
            for name, what in FIELD_HELP.items()
        )
        + f"\n\nSource types: {', '.join(f'`{t}`' for t in SOURCE_TYPES)}. An account is "
        "found by its id or, failing that, by its name (any case); a "
        "name two accounts share is a problem of its row. A strength is a share (`0.6`) or a "
        "percentage (`60%`). Times without a zone are read as UTC. More: docs/import.md.\n\n"
        "The whole file is validated first: any bad row rejects it with a row-numbered report "
        "(422) and nothing is written; a line longer than the line limit (1 MiB by default) "
        "is such a problem. Then rows are written in batches under an import id; "
        "the evidence counts only once the last batch has committed. Each row is keyed by its "
        "idempotency column (per source type and proposition; another function's identical "
        "key is another row) or by a hash of its content, so "
        "sending the same file again writes nothing new.\n\n" + PRESET_DESCRIPTION
    ),
    response_model=ImportSummary,
    responses={
        400: {"model": ErrorBody, "description": "A bad mapping or parameter"},
        401: {"description": "No valid token"},
        403: {"model": ErrorBody, "description": "Viewers may not import"},
        409: {"model": ErrorBody, "description": "The member already runs the most imports"},
        413: {"description": "The file is larger than the import size limit"},
        415: {"description": "The format is neither given nor implied by the Content-Type"},
        422: {"model": ImportRejectedBody, "description": "The file was rejected whole"},
        503: {"description": "The database is unreachable; retry after Retry-After seconds"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": CSV_EXAMPLE,
                },
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": JSONL_EXAMPLE,
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "links"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "links": {"type": "string", "format": "binary"},
                        },
                    }
                },
            },
        }
    },
)
async def import_evidence(
    request: Request,
    db: DatabaseDep,
    actor: ActorDep,
    settings: SettingsDep,
    format: Annotated[
        ImportFormat | None,
        Query(description="csv or jsonl; else taken from the Content-Type."),
    ] = None,
    mapping: Annotated[
        str | None,
        Query(
            description="The column mapping, as JSON (or send it in `X-Import-Mapping`).",
            examples=[MAPPING_EXAMPLE],
        ),
    ] = None,
    delimiter: Annotated[
        str, Query(min_length=1, max_length=1, description="The CSV delimiter.")
    ] = ",",
    x_import_mapping: Annotated[str | None, Header(include_in_schema=False)] = None,
    preset: Annotated[
        str | None, Query(description="The tool the body is an export of (multipart body).")
    ] = None,
    segment: Annotated[
        str | None, Query(description="With preset: the segment new accounts are made in.")
    ] = None,
    dry_run: Annotated[bool, Query(description="With preset: write nothing, report.")] = False,
    keep_pii: Annotated[
        bool, Query(description="With preset: keep e-mail addresses and phone numbers.")
    ] = False,
    x_bookmark: Annotated[
        str | None,
        Header(description="Bookmarks of earlier writes the validation must see."),
    ] = None,
) -> Any:
    if preset is not None:
        return await import_preset(
            request,
            db,
            actor,
            preset,
            segment=segment,
            dry_run=dry_run,
            keep_pii=keep_pii,
            bookmarks=_bookmarks(x_bookmark),
        )
    if not actor.can_write:
        raise ViewerCannotWrite(actor.member_id, "import evidence")
    fmt = _format(format, request.headers.get("content-type"))
    if mapping is not None and x_import_mapping is not None:
        raise ImportMappingSentTwice()
    column_mapping = ColumnMapping.parse(mapping if mapping is not None else x_import_mapping)
    limits = running.Limits.of(settings)
    with slots.held(actor.member_id, settings.max_imports_per_member):
        spool = await _spool(request, settings.max_import_bytes)
        try:
            result = await running.run(
                db,
                actor,
                spool,
                fmt,
                column_mapping,
                limits,
                delimiter=delimiter,
                bookmarks=_bookmarks(x_bookmark),
            )
        except ImportRejected as rejected:
            return JSONResponse(ImportRejection.of(rejected).model_dump(), status_code=422)
        finally:
            spool.close()
    return ImportSummary(
        **result.model_dump(exclude={"bookmarks"}), bookmark=",".join(result.bookmarks) or None
    )


@router.get(
    "/imports/{import_id}",
    summary="An import's state",
    response_model=ImportStatus,
    responses={404: {"model": ErrorBody, "description": "No such import"}},
)
async def import_status(import_id: str, db: DatabaseDep, actor: ActorDep) -> ImportStatus:
    found = await db.read(writing.get, import_id)
    if found is None:
        raise ImportNotFound(import_id)
    return ImportStatus(
        **{
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in found.items()
            if k in ImportStatus.model_fields
        }
    )
