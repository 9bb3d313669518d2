"""Reading an import file: the header and records of a CSV, or the objects of JSON Lines,
each with its row number, or the problem that stood in the way of reading that row.

A file is read a line at a time and no line is ever held whole beyond ``line_limit`` bytes: a
longer one is a problem of its row (JSON Lines: the rest of it is skipped unread into memory)
or ends the reading (CSV), so a file that is one 300 MB line costs no more memory than any
other."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from schema.imports import ImportFormat, ImportProblem


@dataclass(frozen=True)
class Header:
    columns: list[str]


@dataclass(frozen=True)
class Unreadable:
    """The file cannot be read on from this row: its later rows go unchecked."""

    problem: ImportProblem


Read = tuple[int, Header | dict[str, Any] | ImportProblem | Unreadable]

LINE_LIMIT = 1024 * 1024
_SKIP_CHUNK = 64 * 1024


class LineTooLong(Exception):
    """A line of a CSV file is longer than the limit."""


def records(
    raw: IO[bytes], fmt: ImportFormat, delimiter: str, line_limit: int = LINE_LIMIT
) -> Iterator[Read]:
    """Yield (row number, header, record or problem) for each row of the file."""
    if fmt is ImportFormat.CSV:
        yield from _csv_records(raw, delimiter, line_limit)
    else:
        yield from _jsonl_records(raw, line_limit)


def _too_long(row: int, line_limit: int) -> ImportProblem:
    return _problem(
        row,
        f"the line is longer than the limit of {line_limit:,} bytes "
        "(COMMONGROUND_MAX_IMPORT_LINE_BYTES)",
    )


def _lines(raw: IO[bytes], line_limit: int) -> Iterator[bytes | None]:
    """The file's lines, each read at most ``line_limit`` bytes at a time; None stands for
    a line that was longer (the rest of it is read and dropped in small chunks)."""
    while True:
        line = raw.readline(line_limit + 1)
        if not line:
            return
        if len(line) <= line_limit or line.endswith(b"\n"):  # at most the limit, then "\n"
            yield line
            continue
        while not line.endswith(b"\n"):
            line = raw.readline(_SKIP_CHUNK)
            if not line:
                break
        yield None


def _text_lines(text: IO[str], line_limit: int) -> Iterator[str]:
    """A CSV's lines for ``csv.reader``, each at most ``line_limit`` characters (a character
    is at least a byte)."""
    while True:
        line = text.readline(line_limit + 1)
        if not line:
            return
        if len(line) > line_limit and not line.endswith("\n"):
            raise LineTooLong()
        yield line


def _problem(row: int, message: str) -> ImportProblem:
    return ImportProblem(row=row, column=None, message=message)


def _csv_records(raw: IO[bytes], delimiter: str, line_limit: int) -> Iterator[Read]:
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.reader(_text_lines(text, line_limit), delimiter=delimiter, strict=True)
    row_number = 1
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [h.strip() for h in header]
        yield 1, Header(columns)
        for cells in reader:
            row_number += 1
            if not any(c.strip() for c in cells):
                continue  # blank lines, e.g. at the end of a spreadsheet export
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
                message = f"the row has {len(cells)} cells but the header has {len(columns)}"
                yield row_number, _problem(row_number, message)
                continue
            yield row_number, dict(zip(columns, cells, strict=False))
    except UnicodeDecodeError:
        yield row_number + 1, Unreadable(_problem(row_number + 1, "the file is not UTF-8 text"))
    except LineTooLong:
        yield row_number + 1, Unreadable(_too_long(row_number + 1, line_limit))
    except csv.Error as error:
        yield row_number + 1, Unreadable(_problem(row_number + 1, f"not valid CSV: {error}"))
    finally:
        text.detach()


def _jsonl_records(raw: IO[bytes], line_limit: int) -> Iterator[Read]:
    for line_number, line in enumerate(_lines(raw, line_limit), start=1):
        if line is None:
            yield line_number, _too_long(line_number, line_limit)
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            yield line_number, _problem(line_number, "the line is not UTF-8 text")
            continue
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield line_number, _problem(line_number, f"not valid JSON: {error}")
            continue
        if not isinstance(value, dict):
            yield line_number, _problem(line_number, "each line must be a JSON object")
            continue
        yield line_number, value
