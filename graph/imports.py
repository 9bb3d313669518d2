"""Bulk import of evidence: column mappings, whole-file validation and the ``Import`` node.

A file (CSV or JSON Lines) is read twice from a spool file. The first pass maps each row to
our fields, validates it and writes the clean rows to a second spool file; then one query per
thousand distinct ids checks that the propositions and accounts exist. Any problem rejects
the whole file with a row-numbered report, before anything is written. Only then are the
rows written in batches under an ``(:Import {status: 'running'})`` node; evidence of an
import counts only once the import has its ``completed_at`` (``graph/support.py``), so
readers never see half an import.

Each row's idempotency key is derived from its idempotency column (namespaced by source type
and proposition, so ticket 123 of one system never collides with another's) or, without
one, from a hash of its content: resending a file writes nothing new. Rows left behind by an
import that never completed are taken over by the next import of the same rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import math
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import IO, Any

import orjson
from neo4j import AsyncManagedTransaction
from pydantic import ValidationError

from graph import audit, evidence, propositions
from graph.kit.connection import Database, fetch_all, fetch_one
from schema.errors import BadInput, Forbidden
from schema.models import Actor, EvidenceCreate
from schema.vocabulary import SOURCE_TYPES, Stance

BATCH_SIZE = 1000
MAX_REPORTED_PROBLEMS = 100
FATAL_NOT_UTF8 = "the file is not UTF-8 text"
FATAL_NOT_CSV = "not valid CSV"
ID_CHECK_CHUNK = 2000

# Our fields, in the order a report lists them; the first four are required.
FIELDS: tuple[str, ...] = (
    "summary",
    "source_type",
    "proposition_id",
    "stance",
    "strength",
    "magnitude",
    "source_ref",
    "observed_at",
    "account_id",
    "idempotency_key",
)
REQUIRED: frozenset[str] = frozenset({"summary", "source_type", "proposition_id", "stance"})

# The GraphQL spelling of each field is accepted as a column name too.
_CAMEL = {
    "source_type": "sourceType",
    "proposition_id": "propositionId",
    "source_ref": "sourceRef",
    "observed_at": "observedAt",
    "account_id": "accountId",
    "idempotency_key": "idempotencyKey",
}

_STANCES = {
    "supports": Stance.SUPPORTS,
    "support": Stance.SUPPORTS,
    "contradicts": Stance.CONTRADICTS,
    "contradict": Stance.CONTRADICTS,
}

CREATE_IMPORT = """
CREATE (i:Import {id: $id, status: 'running', created_at: $now, created_by: $actor_id,
                  function: $function, rows: $rows, format: $format})
"""

COMPLETE_IMPORT = """
MATCH (i:Import {id: $id})
SET i.status = 'complete', i.completed_at = $now, i.created = $created,
    i.already_present = $already_present, i.duplicates = $duplicates
"""

FAIL_IMPORT = """
MATCH (i:Import {id: $id}) WHERE i.completed_at IS NULL
SET i.status = 'failed', i.failed_at = $now, i.error = $error
"""

GET_IMPORT = "MATCH (i:Import {id: $id}) RETURN i {.*} AS import"

# Rows written by an import that never completed are invisible; the import that writes the
# same rows again takes them over, so they become visible when it completes.
ADOPT_UNFINISHED = """
UNWIND $keys AS key
MATCH (ev:Evidence)
// A seek, said explicitly: without a hint the planner may scan every imported item for each
// key (seen: 9M db hits and 26 s for 1,000 keys beside 3,000 unfinished rows), and with a
// plain USING INDEX it chose a scan of the whole key index per key, which made imports
// slower the more keyed evidence the graph held (bench a: 2 s or 21 s for one file).
USING INDEX SEEK ev:Evidence(idempotency_key)
WHERE ev.idempotency_key = key AND ev.import_id IS NOT NULL AND ev.import_id <> $import_id
  AND NOT EXISTS { MATCH (i:Import {id: ev.import_id}) WHERE i.completed_at IS NOT NULL }
SET ev.import_id = $import_id
RETURN count(ev) AS adopted
"""

ACCOUNTS_FOUND = """
UNWIND $ids AS wanted
OPTIONAL MATCH (a:Entity {id: wanted}) WHERE a:Account
RETURN wanted, a IS NOT NULL AS found
"""


class ImportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: its row (the header is row 1 in a CSV; the line number in
    JSON Lines; None for the file as a whole), the source column and what is wrong."""

    row: int | None
    column: str | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(BadInput):
    """The file was refused whole; nothing was written."""

    def __init__(self, problems: list[Problem], problem_count: int) -> None:
        first = problems[0] if problems else None
        where = "" if first is None or first.row is None else f"row {first.row}: "
        summary = f"{where}{first.message}" if first else "the file is not valid"
        super().__init__(
            f"the file was rejected, nothing was written: {problem_count} problem(s); "
            f"first: {summary}"
        )
        self.problems = problems
        self.problem_count = problem_count


# ---------------------------------------------------------------- column mapping


@dataclass(frozen=True)
class FieldSource:
    """Where one of our fields comes from: a source column, or a constant.

    ``values`` translates source values (``{"positive": "SUPPORTS"}``); ``format`` is a
    ``strptime`` format for ``observed_at``.
    """

    column: str | None = None
    const: Any = None
    values: Mapping[str, Any] | None = None
    format: str | None = None

    @property
    def label(self) -> str:
        return self.column if self.column is not None else "(constant)"


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column (or constant) feeds each of our fields.

    Fields the mapping leaves out are read from a column named like the field (``summary``
    or ``sourceType``), when the file has one.
    """

    fields: Mapping[str, FieldSource]

    @classmethod
    def parse(cls, raw: Any) -> ColumnMapping:
        if raw is None:
            return cls({})
        if isinstance(raw, str | bytes):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise BadInput(f"the column mapping is not valid JSON: {error}") from None
        if not isinstance(raw, dict):
            raise BadInput('the column mapping must be a JSON object, e.g. {"summary": "Subject"}')
        sources: dict[str, FieldSource] = {}
        for name, spec in raw.items():
            if name not in FIELDS:
                raise BadInput(
                    f"the column mapping names {name!r}, which is not a field; the fields are "
                    + ", ".join(FIELDS)
                )
            sources[name] = _field_source(name, spec)
        return cls(sources)

    def source(self, name: str, columns: set[str] | None) -> FieldSource | None:
        """Where ``name`` comes from; ``columns`` is the CSV header (None for JSON Lines)."""
        if name in self.fields:
            return self.fields[name]
        for candidate in (name, _CAMEL.get(name)):
            if candidate and (columns is None or candidate in columns):
                return FieldSource(column=candidate)
        return None


def _field_source(name: str, spec: Any) -> FieldSource:
    if isinstance(spec, str):
        if not spec:
            raise BadInput(f"the column mapping gives {name!r} an empty column name")
        return FieldSource(column=spec)
    if isinstance(spec, dict):
        unknown = set(spec) - {"column", "const", "values", "format"}
        if unknown:
            raise BadInput(
                f"the column mapping of {name!r} has unknown keys {sorted(unknown)}; use "
                "column, const, values or format"
            )
        if ("column" in spec) == ("const" in spec):
            raise BadInput(f"the column mapping of {name!r} needs exactly one of column or const")
        column = spec.get("column")
        if column is not None and (not isinstance(column, str) or not column):
            raise BadInput(f"the column mapping of {name!r}: column must be a non-empty string")
        const = spec.get("const")
        if "const" in spec and (
            isinstance(const, bool) or not isinstance(const, str | int | float)
        ):
            raise BadInput(f"the column mapping of {name!r}: const must be a string or number")
        values = spec.get("values")
        if values is not None and not (
            isinstance(values, dict) and all(isinstance(k, str) for k in values)
        ):
            raise BadInput(f"the column mapping of {name!r}: values must map strings to values")
        fmt = spec.get("format")
        if fmt is not None and (name != "observed_at" or not isinstance(fmt, str)):
            raise BadInput("format (a strptime pattern) applies to observed_at only")
        return FieldSource(column=column, const=const, values=values, format=fmt)
    raise BadInput(
        f"the column mapping of {name!r} must be a column name or an object such as "
        '{"const": "survey"}'
    )


# ---------------------------------------------------------------- reading rows


@dataclass(frozen=True)
class _Header:
    columns: list[str]


_Read = tuple[int, "_Header | dict[str, Any] | Problem"]


def _records(raw: IO[bytes], fmt: ImportFormat, delimiter: str) -> Iterator[_Read]:
    """Yield (row number, header, record or problem) for each row of the file."""
    if fmt is ImportFormat.CSV:
        yield from _csv_records(raw, delimiter)
    else:
        yield from _jsonl_records(raw)


def _csv_records(raw: IO[bytes], delimiter: str) -> Iterator[_Read]:
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    row_number = 1
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [h.strip() for h in header]
        yield 1, _Header(columns)
        for cells in reader:
            row_number += 1
            if not any(c.strip() for c in cells):
                continue  # blank lines, e.g. at the end of a spreadsheet export
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
                message = f"the row has {len(cells)} cells but the header has {len(columns)}"
                yield row_number, Problem(row_number, None, message)
                continue
            yield row_number, dict(zip(columns, cells, strict=False))
    except UnicodeDecodeError:
        yield row_number + 1, Problem(row_number + 1, None, FATAL_NOT_UTF8)
    except csv.Error as error:
        yield row_number + 1, Problem(row_number + 1, None, f"{FATAL_NOT_CSV}: {error}")
    finally:
        text.detach()


def _jsonl_records(raw: IO[bytes]) -> Iterator[_Read]:
    for line_number, line in enumerate(raw, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            yield line_number, Problem(line_number, None, "the line is not UTF-8 text")
            continue
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield line_number, Problem(line_number, None, f"not valid JSON: {error}")
            continue
        if not isinstance(value, dict):
            yield line_number, Problem(line_number, None, "each line must be a JSON object")
            continue
        yield line_number, value


def _lookup(record: Mapping[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    # JSON Lines exports often nest fields: "fields.subject".
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _value(record: Mapping[str, Any], source: FieldSource) -> Any:
    value = source.const if source.column is None else _lookup(record, source.column)
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            value = None
    if source.values is not None and value is not None:
        key = str(value)
        if key in source.values:
            value = source.values[key]
    return value


# ---------------------------------------------------------------- one row


@dataclass
class _Checks:
    """What a whole-file validation accumulates besides the rows themselves."""

    problems: list[Problem] = field(default_factory=list)
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

    def add(self, problem: Problem) -> None:
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


class _RowError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _RowError(name, "expected text, not true/false")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float):
        return str(value)
    raise _RowError(name, "expected text, not a list or an object")


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _RowError(name, f"expected a number, got {str(value)[:40]!r}")
    try:
        number = float(value)
    except ValueError:
        raise _RowError(name, f"expected a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise _RowError(name, "expected a finite number")
    return number


def _magnitude(value: Any) -> int | None:
    number = _number("magnitude", value)
    if number is None:
        return None
    if not number.is_integer():
        raise _RowError("magnitude", f"magnitude must be a whole number 1-5, got {value!r}")
    return int(number)


def _source_type(value: Any) -> str | None:
    text = _text("source_type", value)
    if text is None:
        return None
    normal = text.strip().lower().replace("-", "_").replace(" ", "_")
    if normal not in SOURCE_TYPES:
        raise _RowError(
            "source_type", f"unknown source type {text[:40]!r}; one of {', '.join(SOURCE_TYPES)}"
        )
    return normal


def _stance(value: Any) -> Stance | None:
    text = _text("stance", value)
    if text is None:
        return None
    stance = _STANCES.get(text.lower())
    if stance is None:
        raise _RowError(
            "stance",
            f"stance must be SUPPORTS or CONTRADICTS, got {text[:40]!r} (a mapping's "
            '"values" can translate other words)',
        )
    return stance


def _observed_at(value: Any, fmt: str | None) -> datetime | None:
    text = _text("observed_at", value)
    if text is None:
        return None
    try:
        parsed = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        expected = f"the format {fmt!r}" if fmt else "an ISO 8601 date or time"
        raise _RowError("observed_at", f"{text[:40]!r} is not {expected}") from None
    if fmt is None and len(text) == 10:
        parsed = datetime.combine(parsed.date(), time(0))
    # Exports rarely say their time zone; a time without one is read as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _Row:
    key: str
    digest: str
    item: dict[str, Any]  # an EvidenceCreate that validated, as JSON


class _RowErrors(Exception):
    def __init__(self, errors: list[_RowError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


def _row(record: Mapping[str, Any], sources: Mapping[str, FieldSource]) -> _Row:
    """Map one record to an evidence item; raise _RowErrors naming every bad field."""
    errors: list[_RowError] = []

    def parsed(name: str, parse: Callable[[Any], Any]) -> Any:
        source = sources.get(name)
        value = None if source is None else _value(record, source)
        try:
            result = parse(value)
        except _RowError as error:
            errors.append(error)
            return None
        if result is None and name in REQUIRED:
            errors.append(_RowError(name, f"{name} is required but empty"))
        return result

    observed_source = sources.get("observed_at")
    observed_format = observed_source.format if observed_source else None
    summary = parsed("summary", lambda v: _text("summary", v))
    source_type = parsed("source_type", _source_type)
    proposition_id = parsed("proposition_id", lambda v: _text("proposition_id", v))
    stance = parsed("stance", _stance)
    strength = parsed("strength", lambda v: _number("strength", v))
    magnitude = parsed("magnitude", _magnitude)
    source_ref = parsed("source_ref", lambda v: _text("source_ref", v))
    observed_at = parsed("observed_at", lambda v: _observed_at(v, observed_format))
    account_id = parsed("account_id", lambda v: _text("account_id", v))
    given_key = parsed("idempotency_key", lambda v: _text("idempotency_key", v))
    bearing = {
        "proposition_id": proposition_id or "-",
        "stance": (stance or Stance.SUPPORTS).value,
        "strength": 1.0 if strength is None else strength,
        "magnitude": magnitude,
    }
    fields: dict[str, Any] = {
        "source_type": source_type or SOURCE_TYPES[0],
        "summary": summary or "-",
        "source_ref": source_ref,
        "observed_at": observed_at,
        "account_id": account_id,
        "bears": [bearing],
    }
    try:
        EvidenceCreate.model_validate(fields)
    except ValidationError as error:
        for problem in error.errors():
            loc = [str(part) for part in problem["loc"]]
            name = next((part for part in reversed(loc) if part in FIELDS), "summary")
            errors.append(_RowError(name, f"{name}: {problem['msg']}"))
    if errors:
        raise _RowErrors(errors)
    content = "\x1f".join(
        [
            source_type,
            summary,
            source_ref or "",
            observed_at.isoformat() if observed_at else "",
            account_id or "",
            proposition_id,
            stance.value,
            repr(float(bearing["strength"])),
            str(magnitude or ""),
        ]
    )
    digest = hashlib.sha256(content.encode()).hexdigest()
    if given_key is not None:
        basis = "\x1f".join(["key", source_type, given_key, proposition_id])
        key = "import-" + hashlib.sha256(basis.encode()).hexdigest()[:40]
    else:
        key = "import-" + digest[:40]
    fields["idempotency_key"] = key
    fields["observed_at"] = observed_at.isoformat() if observed_at else None
    return _Row(key, digest, fields)


# ---------------------------------------------------------------- the whole file


@dataclass
class ValidatedImport:
    """A file that passed validation: its clean rows spooled, its ids resolved."""

    format: ImportFormat
    rows: int  # data rows read
    duplicates: int  # rows repeating an earlier row of the same file (written once)
    clean: IO[bytes]  # one JSON line per distinct row to write
    distinct: int
    live_ids: dict[str, str]  # proposition id as given -> live id (merged ids to survivors)

    def batches(self, size: int = BATCH_SIZE) -> Iterator[list[EvidenceCreate]]:
        self.clean.seek(0)
        batch: list[EvidenceCreate] = []
        for line in self.clean:
            batch.append(EvidenceCreate.model_validate(orjson.loads(line)))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self.clean.close()


def _first_pass(
    raw: IO[bytes], fmt: ImportFormat, mapping: ColumnMapping, delimiter: str, clean: IO[bytes]
) -> _Checks:
    """Map and validate every row; spool the clean, distinct ones."""
    checks = _Checks()
    # JSON Lines has no header: its fields are looked up in each record.
    sources = _sources(mapping, None, checks) if fmt is ImportFormat.JSONL else None
    if checks.problem_count:
        checks.fatal = True
        return checks
    if sources is not None:
        checks.labels = {name: source.label for name, source in sources.items()}
    raw.seek(0)
    for number, record in _records(raw, fmt, delimiter):
        if isinstance(record, _Header):
            sources = _sources(mapping, set(record.columns), checks)
            if not _header_ok(record.columns, checks) or checks.problem_count:
                checks.fatal = True
                return checks
            checks.labels = {name: source.label for name, source in sources.items()}
            continue
        if isinstance(record, Problem):
            checks.add(record)
            if record.message.startswith((FATAL_NOT_UTF8, FATAL_NOT_CSV)):
                checks.fatal = True
                break
            checks.rows += 1
            continue
        assert sources is not None
        checks.rows += 1
        _check_row(number, record, sources, checks, clean)
    if sources is None:
        checks.fatal = True
        checks.add(Problem(None, None, "the file is empty: a CSV needs a header row"))
    elif checks.rows == 0 and not checks.problem_count:
        checks.add(Problem(None, None, "the file holds no rows"))
    return checks


def _check_row(
    number: int,
    record: Mapping[str, Any],
    sources: Mapping[str, FieldSource],
    checks: _Checks,
    clean: IO[bytes],
) -> None:
    try:
        row = _row(record, sources)
    except _RowErrors as bad:
        for error in bad.errors:
            source = sources.get(error.field_name)
            label = source.label if source else error.field_name
            checks.add(Problem(number, label, error.message))
        return
    previous = checks.keys.get(row.key)
    if previous is not None:
        if previous[1] == row.digest:
            checks.duplicates += 1
        else:
            key_source = sources.get("idempotency_key")
            checks.add(
                Problem(
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


def _header_ok(header: list[str], checks: _Checks) -> bool:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            checks.add(Problem(1, name, f"the header names the column {name!r} twice"))
        seen.add(name)
    return not checks.problem_count


def _sources(
    mapping: ColumnMapping, columns: set[str] | None, checks: _Checks
) -> dict[str, FieldSource]:
    sources: dict[str, FieldSource] = {}
    for name in FIELDS:
        source = mapping.source(name, columns)
        if source is None:
            if name in REQUIRED:
                checks.add(
                    Problem(
                        None,
                        None,
                        f"no column gives {name}: name a column {name!r}, or map one "
                        f'(e.g. {{"{name}": "Your column"}} or {{"{name}": {{"const": ...}}}})',
                    )
                )
            continue
        if columns is not None and source.column is not None and source.column not in columns:
            checks.add(
                Problem(
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
    db: Database, checks: _Checks, bookmarks: list[str] | None
) -> tuple[dict[str, str], list[tuple[int, Problem]]]:
    """Resolve proposition ids, check accounts; return live ids and per-row problems."""
    found_rows: list[tuple[int, Problem]] = []
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
                found_rows.append((checks.proposition_counts[pid], Problem(row, label, message)))
    accounts = sorted(checks.account_rows)
    account_label = checks.labels.get("account_id", "account_id")
    for start in range(0, len(accounts), ID_CHECK_CHUNK):
        chunk = accounts[start : start + ID_CHECK_CHUNK]
        rows = await db.read_after(bookmarks, _accounts_found, chunk)
        for account_id in (r for r in chunk if not rows.get(r, False)):
            message = f"account {account_id[:80]!r} does not exist"
            for row in checks.account_rows[account_id]:
                found_rows.append(
                    (checks.account_counts[account_id], Problem(row, account_label, message))
                )
    return live_ids, found_rows


async def _accounts_found(tx: AsyncManagedTransaction, ids: list[str]) -> dict[str, bool]:
    return {r["wanted"]: bool(r["found"]) for r in await fetch_all(tx, ACCOUNTS_FOUND, ids=ids)}


async def validate(
    db: Database,
    raw: IO[bytes],
    fmt: ImportFormat,
    mapping: ColumnMapping,
    *,
    delimiter: str = ",",
    bookmarks: list[str] | None = None,
) -> ValidatedImport:
    """Validate a whole spooled file; raise ImportRejected with a row-numbered report."""
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise BadInput("the delimiter must be one character, not a quote or a line break")
    clean = _spool()
    try:
        checks = await asyncio.to_thread(_first_pass, raw, fmt, mapping, delimiter, clean)
        problems = list(checks.problems)
        problem_count = checks.problem_count
        live_ids: dict[str, str] = {}
        if not checks.fatal:  # every row was read: check the ids of the good ones too
            live_ids, id_problems = await _check_ids(db, checks, bookmarks)
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
    )


def _spool() -> IO[bytes]:
    return tempfile.TemporaryFile(prefix="commonground-import-")


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    status: str
    rows: int
    created: int
    already_present: int
    duplicates: int
    bookmarks: list[str]


ProgressCallback = Callable[[int, int], Awaitable[None]]


async def _create_import(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    rows: int,
    fmt: ImportFormat,
    now: datetime,
) -> None:
    await tx.run(
        CREATE_IMPORT,
        id=import_id,
        now=now,
        actor_id=actor.member_id,
        function=actor.function,
        rows=rows,
        format=fmt.value,
    )


async def _write_batch(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    items: list[EvidenceCreate],
    live_ids: dict[str, str],
    started: datetime,
) -> tuple[int, int]:
    """Write one batch; return (created, already present)."""
    # Resolved again, and locked, in the batch's own transaction: a proposition merged since
    # the file was validated takes the rows on its survivor instead of stranding them.
    named = sorted({b.proposition_id for item in items for b in item.bears})
    found = await propositions.live_ids_locked(tx, named)
    live_ids = {**live_ids, **{pid: live.id for pid, live in found.items()}}
    keys = [item.idempotency_key for item in items]
    await tx.run(ADOPT_UNFINISHED, keys=keys, import_id=import_id)
    rows = [
        evidence.prepare_row(n, item, live_ids, actor, started, import_id)
        for n, item in enumerate(items)
    ]
    written = await evidence.write_rows(tx, actor, rows, started)
    created = sum(1 for _, was_created in written if was_created)
    return created, len(written) - created


async def _complete(
    tx: AsyncManagedTransaction,
    actor: Actor,
    import_id: str,
    created: int,
    already_present: int,
    duplicates: int,
    rows: int,
    now: datetime,
) -> None:
    await tx.run(
        COMPLETE_IMPORT,
        id=import_id,
        now=now,
        created=created,
        already_present=already_present,
        duplicates=duplicates,
    )
    await audit.record(
        tx,
        actor,
        "importEvidence",
        [import_id],
        now,
        f"{rows} row(s): {created} created, {already_present} already present",
    )


async def _fail(tx: AsyncManagedTransaction, import_id: str, error: str, now: datetime) -> None:
    await tx.run(FAIL_IMPORT, id=import_id, now=now, error=error[:500])


async def write(
    db: Database,
    actor: Actor,
    validated: ValidatedImport,
    *,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Write a validated file in batches under a new Import; visible once it completes."""
    if not actor.can_write:
        raise Forbidden("viewers may read but not import evidence")
    import_id = f"import-{uuid.uuid4().hex[:16]}"
    started = datetime.now(UTC)
    await db.write(_create_import, actor, import_id, validated.rows, validated.format, started)
    created = already_present = done = 0
    try:
        for batch in validated.batches(batch_size):
            made, present = await db.write(
                _write_batch, actor, import_id, batch, validated.live_ids, started
            )
            created += made
            already_present += present
            done += len(batch)
            if progress is not None:
                await progress(done, validated.distinct)
        _, bookmarks = await db.write_with_bookmark(
            _complete,
            actor,
            import_id,
            created,
            already_present,
            validated.duplicates,
            validated.rows,
            datetime.now(UTC),
        )
    except BaseException as error:
        # Best effort: the rows written so far stay invisible; a resend takes them over.
        with contextlib.suppress(Exception):
            await asyncio.shield(
                db.write(_fail, import_id, f"{type(error).__name__}: {error}", datetime.now(UTC))
            )
        raise
    return ImportResult(
        import_id=import_id,
        status="complete",
        rows=validated.rows,
        created=created,
        already_present=already_present,
        duplicates=validated.duplicates,
        bookmarks=bookmarks,
    )


async def get(tx: AsyncManagedTransaction, import_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, GET_IMPORT, id=import_id)
    return None if row is None else dict(row["import"])
