"""Validating a whole import file before anything is written: every row mapped and checked,
the clean distinct rows spooled, the propositions and accounts they name looked up; any
problem rejects the file with a row-numbered report."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from graph import propositions
from graph.imports import accounts
from graph.imports.mapping import ColumnMapping, FieldSource
from graph.imports.parsing import RowErrors, parse_row
from graph.imports.reading import LINE_LIMIT, Header, Unreadable, records
from graph.kit.connection import Database
from schema.imports import (
    FIELDS,
    REQUIRED,
    ImportDelimiterInvalid,
    ImportFormat,
    ImportProblem,
    ImportRejected,
)
from schema.models import EvidenceCreate

MAX_REPORTED_PROBLEMS = 100
ID_CHECK_CHUNK = 2000


@dataclass
class FileChecks:
    """What a whole-file validation accumulates besides the rows themselves."""

    problems: list[ImportProblem] = field(default_factory=list)
    problem_count: int = 0
    proposition_rows: dict[str, list[int]] = field(default_factory=dict)
    proposition_counts: dict[str, int] = field(default_factory=dict)
    account_rows: dict[str, list[int]] = field(default_factory=dict)
    account_counts: dict[str, int] = field(default_factory=dict)
    keys: dict[str, tuple[int, str]] = field(default_factory=dict)
    rows: int = 0
    duplicates: int = 0
    labels: dict[str, str] = field(default_factory=dict)  # our field -> source column
    fatal: bool = False  # the file as a whole is unreadable: its rows were not all checked

    def add(self, problem: ImportProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)

    def note_id(
        self, rows: dict[str, list[int]], counts: dict[str, int], ident: str, row: int
    ) -> None:
        counts[ident] = counts.get(ident, 0) + 1
        seen = rows.setdefault(ident, [])
        if len(seen) < MAX_REPORTED_PROBLEMS:
            seen.append(row)


@dataclass
class ValidatedImport:
    """A file that passed validation: its clean rows spooled, its ids resolved."""

    format: ImportFormat
    rows: int  # data rows read
    duplicates: int  # rows repeating an earlier row of the same file (written once)
    clean: IO[bytes]  # one JSON line per distinct row to write
    distinct: int
    live_ids: dict[str, str]  # proposition id as given -> live id (merged ids to survivors)
    account_ids: dict[str, str] = field(default_factory=dict)  # id or name as given -> id

    def batches(self, size: int) -> Iterator[list[EvidenceCreate]]:
        for batch in self.keyed_batches(size):
            yield [item for item, _ in batch]

    def keyed_batches(self, size: int) -> Iterator[list[tuple[EvidenceCreate, bool]]]:
        """The rows in batches, each with whether its key came from the file (True) or from
        a hash of its content (False)."""
        self.clean.seek(0)
        batch: list[tuple[EvidenceCreate, bool]] = []
        for line in self.clean:
            item = orjson.loads(line)
            if item["account_id"] is not None:
                item["account_id"] = self.account_ids[item["account_id"]]
            batch.append((EvidenceCreate.model_validate(item), item.get("key_given", True)))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self.clean.close()


def first_pass(
    raw: IO[bytes],
    fmt: ImportFormat,
    mapping: ColumnMapping,
    delimiter: str,
    clean: IO[bytes],
    line_limit: int = LINE_LIMIT,
) -> FileChecks:
    """Map and validate every row; spool the clean, distinct ones. Reads no database."""
    checks = FileChecks()
    # JSON Lines has no header: its fields are looked up in each record.
    sources = _sources(mapping, None, checks) if fmt is ImportFormat.JSONL else None
    if checks.problem_count:
        checks.fatal = True
        return checks
    if sources is not None:
        checks.labels = {name: source.label for name, source in sources.items()}
    raw.seek(0)
    for number, record in records(raw, fmt, delimiter, line_limit):
        if isinstance(record, Header):
            sources = _sources(mapping, set(record.columns), checks)
            if not _header_ok(record.columns, checks) or checks.problem_count:
                checks.fatal = True
                return checks
            checks.labels = {name: source.label for name, source in sources.items()}
            continue
        if isinstance(record, Unreadable):
            checks.add(record.problem)
            checks.fatal = True
            break
        if isinstance(record, ImportProblem):
            checks.add(record)
            checks.rows += 1
            continue
        assert sources is not None
        checks.rows += 1
        _check_row(number, record, sources, checks, clean)
    if sources is None:
        checks.fatal = True
        checks.add(_problem(None, None, "the file is empty: a CSV needs a header row"))
    elif checks.rows == 0 and not checks.problem_count:
        checks.add(_problem(None, None, "the file holds no rows"))
    return checks


def _check_row(
    number: int,
    record: Mapping[str, Any],
    sources: Mapping[str, FieldSource],
    checks: FileChecks,
    clean: IO[bytes],
) -> None:
    try:
        row = parse_row(record, sources)
    except RowErrors as bad:
        for error in bad.errors:
            source = sources.get(error.field_name)
            label = source.label if source else error.field_name
            checks.add(_problem(number, label, error.message))
        return
    previous = checks.keys.get(row.key)
    if previous is not None:
        if previous[1] == row.digest:
            checks.duplicates += 1
        else:
            key_source = sources.get("idempotency_key")
            checks.add(
                _problem(
                    number,
                    key_source.label if key_source else None,
                    f"repeats the key of row {previous[0]} with different content",
                )
            )
        return
    checks.keys[row.key] = (number, row.digest)
    checks.note_id(
        checks.proposition_rows,
        checks.proposition_counts,
        row.item["bears"][0]["proposition_id"],
        number,
    )
    if row.item["account_id"]:
        checks.note_id(checks.account_rows, checks.account_counts, row.item["account_id"], number)
    clean.write(orjson.dumps(row.item) + b"\n")


def _header_ok(header: list[str], checks: FileChecks) -> bool:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            checks.add(_problem(1, name, f"the header names the column {name!r} twice"))
        seen.add(name)
    return not checks.problem_count


def _sources(
    mapping: ColumnMapping, columns: set[str] | None, checks: FileChecks
) -> dict[str, FieldSource]:
    sources: dict[str, FieldSource] = {}
    for name in FIELDS:
        source = mapping.source(name, columns)
        if source is None:
            if name in REQUIRED:
                checks.add(
                    _problem(
                        None,
                        None,
                        f"no column gives {name}: name a column {name!r}, or map one "
                        f'(e.g. {{"{name}": "Your column"}} or {{"{name}": {{"const": ...}}}})',
                    )
                )
            continue
        if columns is not None and source.column is not None and source.column not in columns:
            checks.add(
                _problem(
                    1,
                    source.column,
                    f"the mapping takes {name} from the column {source.column!r}, which the "
                    "header does not have",
                )
            )
            continue
        sources[name] = source
    return sources


async def _check_ids(
    db: Database, checks: FileChecks, bookmarks: list[str] | None
) -> tuple[dict[str, str], dict[str, str], list[tuple[int, ImportProblem]]]:
    """Resolve proposition ids and accounts; return live ids, account ids and per-row
    problems."""
    found_rows: list[tuple[int, ImportProblem]] = []
    live_ids: dict[str, str] = {}
    label = checks.labels.get("proposition_id", "proposition_id")
    wanted = sorted(checks.proposition_rows)
    for start in range(0, len(wanted), ID_CHECK_CHUNK):
        chunk = wanted[start : start + ID_CHECK_CHUNK]
        found = await db.read_after(bookmarks, propositions.live_ids, chunk)
        for pid in chunk:
            live = found.get(pid)
            if live is None:
                message = f"proposition {pid[:80]!r} does not exist"
            elif live.retired:
                message = f"proposition {pid[:80]!r} is retired; evidence cannot bear on it"
            else:
                live_ids[pid] = live.id
                continue
            for row in checks.proposition_rows[pid]:
                found_rows.append((checks.proposition_counts[pid], _problem(row, label, message)))
    account_ids, account_problems = await accounts.resolve(
        db,
        checks.account_rows,
        checks.account_counts,
        checks.labels.get("account_id", "account_id"),
        bookmarks,
        ID_CHECK_CHUNK,
    )
    return live_ids, account_ids, found_rows + account_problems


async def validate(
    db: Database,
    raw: IO[bytes],
    fmt: ImportFormat,
    mapping: ColumnMapping,
    *,
    delimiter: str = ",",
    bookmarks: list[str] | None = None,
    line_limit: int = LINE_LIMIT,
) -> ValidatedImport:
    """Validate a whole spooled file; raise ImportRejected with a row-numbered report. No
    line longer than ``line_limit`` bytes is ever read whole."""
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise ImportDelimiterInvalid(delimiter)
    clean = _spool()
    try:
        checks = await asyncio.to_thread(
            first_pass, raw, fmt, mapping, delimiter, clean, line_limit
        )
        problems = list(checks.problems)
        problem_count = checks.problem_count
        live_ids: dict[str, str] = {}
        account_ids: dict[str, str] = {}
        if not checks.fatal:  # every row was read: check the ids of the good ones too
            live_ids, account_ids, id_problems = await _check_ids(db, checks, bookmarks)
            # Each bad id may stand on many rows: count them all, report the first rows.
            counted: dict[tuple[str | None, str], int] = {}
            for total, problem in id_problems:
                counted[(problem.column, problem.message)] = total
                problems.append(problem)
            problem_count += sum(counted.values())
        if problem_count:
            problems.sort(key=lambda p: (p.row is not None, p.row or 0))
            raise ImportRejected(problems[:MAX_REPORTED_PROBLEMS], problem_count)
    except BaseException:
        clean.close()
        raise
    return ValidatedImport(
        format=fmt,
        rows=checks.rows,
        duplicates=checks.duplicates,
        clean=clean,
        distinct=len(checks.keys),
        live_ids=live_ids,
        account_ids=account_ids,
    )


def _spool() -> IO[bytes]:
    return tempfile.TemporaryFile(prefix="commonground-import-")


def _problem(row: int | None, column: str | None, message: str) -> ImportProblem:
    return ImportProblem(row=row, column=column, message=message)
