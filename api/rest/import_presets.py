"""REST: a tool's own export imported through its preset —
``POST /api/v1/evidence:import?preset=P`` with a ``multipart/form-data`` body whose ``file``
part is the export and ``links`` part the links file (``graph/imports/presets/``).

The route of plain imports hands a request with ``preset`` here."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from graph.imports.presets import catalog
from graph.imports.presets.importing import import_export
from graph.kit.connection import Database
from schema.errors import BadInput
from schema.imports import ImportOutcome, ImportRejected, ImportRejection
from schema.models import Actor
from schema.presets import MAX_EXPORT_BYTES, ExportTooLarge, PresetReport

PRESET_DESCRIPTION = (
    "With `?preset=zendesk|intercom|gong|productboard|dovetail|typeform|salesforce|canny`, "
    "the body is `multipart/form-data`: its `file` part is the tool's own export (JSON, JSON "
    "Lines of pages, or CSV; at most 64 MiB) and its `links` part the links file (YAML or "
    "JSON) saying which records bear on which propositions. `segment` (id or name) is where "
    "organisations no account matches are created; `dry_run=true` answers what would be "
    "written and writes nothing; `keep_pii=true` keeps e-mail addresses and phone numbers, "
    "which are masked otherwise. The answer is `{report, import}`; a malformed record rejects "
    "the export (422) with its index as `row`. Each preset's fields: docs/import.md."
)


class PresetMissingPart(BadInput):
    """A preset import's multipart body lacks a part."""

    def __init__(self, part: str) -> None:
        super().__init__(
            f"a preset import is a multipart/form-data body with a {part!r} part: 'file' the "
            "tool's export, 'links' the links file",
            part=part,
        )
        self.part = part


class PresetImportAnswer(BaseModel):
    """What a preset import found in the export, and what it wrote (null for a dry run)."""

    report: PresetReport
    import_: ImportOutcome | None = Field(alias="import", serialization_alias="import")
    bookmark: str | None = None


async def _part(form: Any, name: str, limit: int) -> bytes:
    value = form.get(name)
    if value is None:
        raise PresetMissingPart(name)
    if isinstance(value, UploadFile):
        if value.size is not None and value.size > limit:
            raise ExportTooLarge(value.size, limit)
        data = await value.read(limit + 1)
        if len(data) > limit:
            raise ExportTooLarge(len(data), limit)
        return data
    return str(value).encode()


async def import_preset(
    request: Request,
    db: Database,
    actor: Actor,
    preset: str,
    *,
    segment: str | None,
    dry_run: bool,
    keep_pii: bool,
    bookmarks: list[str] | None,
) -> Any:
    catalog.get(preset)  # an unknown preset is refused before the body is read
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise PresetMissingPart("file")
    async with request.form(max_files=2, max_fields=8) as form:
        export = await _part(form, "file", MAX_EXPORT_BYTES)
        links = await _part(form, "links", 1024 * 1024)
    try:
        outcome = await import_export(
            db,
            actor,
            preset,
            export,
            links,
            segment=segment,
            keep_pii=keep_pii,
            dry_run=dry_run,
            bookmarks=bookmarks,
        )
    except ImportRejected as rejected:
        return JSONResponse(ImportRejection.of(rejected).model_dump(), status_code=422)
    result = outcome.result
    answer = PresetImportAnswer.model_validate(
        {
            "report": outcome.report,
            "import": None
            if result is None
            else ImportOutcome.model_validate(result.model_dump(exclude={"bookmarks"})),
            "bookmark": None if result is None else ",".join(result.bookmarks) or None,
        }
    )
    return JSONResponse(answer.model_dump(mode="json", by_alias=True))
