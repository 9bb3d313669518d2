"""Reading an import file: the header and records of a CSV, or the objects of JSON Lines,
each with its row number, or the problem that stood in the way of reading that row."""

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


def records(raw: IO[bytes], fmt: ImportFormat, delimiter: str) -> Iterator[Read]:
    """Yield (row number, header, record or problem) for each row of the file."""
    if fmt is ImportFormat.CSV:
        yield from _csv_records(raw, delimiter)
    else:
        yield from _jsonl_records(raw)


def _problem(row: int, message: str) -> ImportProblem:
    return ImportProblem(row=row, column=None, message=message)


def _csv_records(raw: IO[bytes], delimiter: str) -> Iterator[Read]:
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
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
    except csv.Error as error:
        yield row_number + 1, Unreadable(_problem(row_number + 1, f"not valid CSV: {error}"))
    finally:
        text.detach()


def _jsonl_records(raw: IO[bytes]) -> Iterator[Read]:
    for line_number, line in enumerate(raw, start=1):
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
