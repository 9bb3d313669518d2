"""The whole-file pass, without a database: every row checked, repeats written once, a key
reused for other content refused, and a header that cannot be mapped stopping the pass."""

from __future__ import annotations

import io
import tempfile
from typing import Any, cast

import orjson
import pytest

from graph.imports.mapping import ColumnMapping
from graph.imports.validation import first_pass, validate
from graph.kit.connection import Database
from schema.imports import ImportDelimiterInvalid, ImportFormat

HEADER = b"summary,source_type,proposition_id,stance,idempotency_key\n"


def _pass(
    body: bytes, mapping: object = None, fmt: ImportFormat = ImportFormat.CSV
) -> tuple[Any, list[Any]]:
    with tempfile.TemporaryFile() as clean:
        checks = first_pass(io.BytesIO(body), fmt, ColumnMapping.parse(mapping), ",", clean)
        clean.seek(0)
        return checks, [orjson.loads(line) for line in clean]


def test_clean_rows_are_spooled_once_and_repeats_counted() -> None:
    body = HEADER + b"A,interview,prop-1,SUPPORTS,\nA,interview,prop-1,SUPPORTS,\n"
    body += b"B,interview,prop-2,contradicts,\n"
    checks, spooled = _pass(body)
    assert (checks.rows, checks.duplicates, checks.problem_count) == (3, 1, 0)
    assert [item["summary"] for item in spooled] == ["A", "B"]
    assert checks.proposition_rows == {"prop-1": [2], "prop-2": [4]}


def test_a_key_reused_for_other_content_is_a_problem_of_the_later_row() -> None:
    body = HEADER + b"A,interview,prop-1,SUPPORTS,k1\nB,interview,prop-1,SUPPORTS,k1\n"
    checks, _ = _pass(body)
    (problem,) = checks.problems
    assert (problem.row, problem.column) == (3, "idempotency_key")
    assert "row 2" in problem.message


def test_bad_rows_are_all_reported_and_counted_past_the_first_hundred() -> None:
    body = HEADER + b"".join(b"A%d,interview,prop-1,perhaps,\n" % n for n in range(150))
    checks, spooled = _pass(body)
    assert checks.problem_count == 150 and len(checks.problems) == 100
    assert spooled == [] and not checks.fatal


@pytest.mark.parametrize(
    ("body", "mapping", "words"),
    [
        (HEADER.replace(b"\n", b",summary\n"), None, "twice"),
        (HEADER, {"summary": "Subject"}, "'Subject'"),
        (b"summary,proposition_id,stance\n", None, "no column gives source_type"),
    ],
)
def test_a_header_that_cannot_be_mapped_stops_the_pass(
    body: bytes, mapping: object, words: str
) -> None:
    checks, _ = _pass(body + b"A,interview,prop-1,SUPPORTS,\n", mapping)
    assert checks.fatal and checks.rows == 0 and words in checks.problems[0].message


def test_an_empty_file_is_refused_for_lacking_a_header() -> None:
    checks, _ = _pass(b"")
    assert checks.fatal and "needs a header row" in checks.problems[0].message


def test_a_json_lines_row_missing_required_fields_names_each_of_them() -> None:
    checks, _ = _pass(b'{"summary": "A"}\n', {"summary": {"const": "x"}}, ImportFormat.JSONL)
    assert not checks.fatal and checks.problem_count == 3
    assert {(p.row, p.column) for p in checks.problems} == {
        (1, "source_type"),
        (1, "proposition_id"),
        (1, "stance"),
    }


async def test_a_delimiter_that_cannot_separate_cells_is_refused_before_reading() -> None:
    no_database = cast(Database, None)  # refused before any query
    with pytest.raises(ImportDelimiterInvalid) as refused:
        await validate(
            no_database, io.BytesIO(HEADER), ImportFormat.CSV, ColumnMapping({}), delimiter='"'
        )
    assert refused.value.delimiter == '"'
