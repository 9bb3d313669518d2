"""A preset import from start to end: the links checked against the graph, the export read
by the engine (off the event loop), its organisations matched to accounts, then — unless it
is a dry run — the missing accounts created and the items written as any bulk import is:
in batches under an import that counts only once it completes."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass

from graph import propositions
from graph.imports import writing
from graph.imports.presets import accounts, catalog
from graph.imports.presets.engine import Scan, scan
from graph.imports.presets.links import Links, parse_links
from graph.imports.presets.records import Reader
from graph.imports.validation import MAX_REPORTED_PROBLEMS, ValidatedImport
from graph.imports.writing import ImportResult, ProgressCallback
from graph.kit.connection import Database
from schema.imports import ImportFormat, ImportRejected
from schema.members import ViewerCannotWrite
from schema.models import Actor
from schema.presets import (
    MAX_EXPORT_BYTES,
    AccountsNeedSegment,
    AccountToCreate,
    ExportTooLarge,
    LinkCount,
    LinksFileInvalid,
    PresetReport,
)


@dataclass(frozen=True)
class PresetOutcome:
    report: PresetReport
    result: ImportResult | None  # None for a dry run


async def _live_links(db: Database, links: Links, bookmarks: list[str] | None) -> dict[str, str]:
    wanted = sorted({link.proposition for link in links.links})
    found = await db.read_after(bookmarks, propositions.live_ids, wanted)
    for index, link in enumerate(links.links):
        live = found.get(link.proposition)
        if live is None:
            raise LinksFileInvalid(f"proposition {link.proposition[:80]!r} does not exist", index)
        if live.retired:
            raise LinksFileInvalid(
                f"proposition {link.proposition[:80]!r} is retired; evidence cannot bear on it",
                index,
            )
    return {pid: live.id for pid, live in found.items()}


def _report(
    name: str, links: Links, found: Scan, matched_accounts: int, missing: list[AccountToCreate]
) -> PresetReport:
    return PresetReport(
        preset=name,
        records=found.records,
        matched=found.matched,
        unmatched=found.unmatched,
        unmatched_ids=found.unmatched_ids,
        repeated=found.repeated,
        links=[
            LinkCount(
                link=index,
                test=link.describe(),
                proposition_id=link.proposition,
                stance=link.stance,
                records=found.link_records[index],
            )
            for index, link in enumerate(links.links)
        ],
        accounts_matched=matched_accounts,
        accounts_to_create=missing,
        items=found.items,
        dry_run=True,
    )


async def import_export(
    db: Database,
    actor: Actor,
    preset: str,
    export: bytes,
    links_file: bytes | str,
    *,
    segment: str | None = None,
    keep_pii: bool = False,
    dry_run: bool = False,
    bookmarks: list[str] | None = None,
    progress: ProgressCallback | None = None,
) -> PresetOutcome:
    """Import one tool's export; raise ImportRejected (malformed records, by index),
    LinksFileInvalid, AccountsNeedSegment, ExportTooLarge or ExportUnreadable, having written
    nothing."""
    if not dry_run and not actor.can_write:
        raise ViewerCannotWrite(actor.member_id, "import evidence")
    if len(export) > MAX_EXPORT_BYTES:
        raise ExportTooLarge(len(export))
    reader = Reader.of(catalog.get(preset))
    links = Links.of(parse_links(links_file))
    live_ids = await _live_links(db, links, bookmarks)
    # A segment named wrongly is refused even when this export needs no new account.
    segment_id = None if segment is None else await accounts.segment_id(db, segment, bookmarks)
    clean = tempfile.TemporaryFile(prefix="commonground-preset-")
    try:
        found = await asyncio.to_thread(
            scan, reader, export, links, live_ids, keep_pii=keep_pii, clean=clean
        )
        if found.checks.problem_count:
            problems = sorted(found.checks.problems, key=lambda p: p.row or 0)
            raise ImportRejected(problems[:MAX_REPORTED_PROBLEMS], found.checks.problem_count)
        named = [ref for ref, _ in found.accounts.values()]
        account_ids, missing = await accounts.resolve(db, reader.preset.name, named, bookmarks)
        to_create = [
            AccountToCreate(
                external_id=ref.external_id, name=ref.name, records=found.accounts[ref.ref][1]
            )
            for ref in missing
        ]
        report = _report(reader.preset.name, links, found, len(account_ids), to_create)
        if dry_run:
            return PresetOutcome(report, None)
        if missing:
            if segment_id is None:
                raise AccountsNeedSegment([ref.name for ref in missing])
            account_ids.update(
                await accounts.create(db, actor, reader.preset.name, segment_id, missing)
            )
        validated = ValidatedImport(
            format=ImportFormat.JSONL,
            rows=found.records,
            duplicates=found.repeated,
            clean=clean,
            distinct=found.items,
            live_ids={live: live for live in live_ids.values()},
            account_ids=account_ids,
        )
        # Keys derived from an outside record are global: two teams importing the same export
        # count each record once.
        result = await writing.write(db, actor, validated, progress=progress, global_keys=True)
    finally:
        clean.close()
    return PresetOutcome(report.model_copy(update={"dry_run": False}), result)
