"""Reading a file's rows and parsing one row: CSV and JSON Lines row numbers, each field's
checks and translations, and the idempotency key of a row."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from graph.imports.mapping import FieldSource
from graph.imports.parsing import RowErrors, parse_row
from graph.imports.reading import Header, Unreadable, records
from schema.imports import FIELDS, ImportFormat, ImportProblem

SOURCES = {name: FieldSource(column=name) for name in FIELDS}
ROW = {
    "summary": "Setup took two weeks",
    "source_type": "Support ticket",
    "proposition_id": "prop-1",
    "stance": "supports",
    "strength": "0.5",
    "magnitude": "4",
    "observed_at": "2026-03-04",
}


def test_csv_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    raw = io.BytesIO(b"\xef\xbb\xbfa,b\n1,2\n\n3,4,5\n6,7,,\n")
    read = list(records(raw, ImportFormat.CSV, ","))
    assert read[0] == (1, Header(["a", "b"]))
    assert read[1] == (2, {"a": "1", "b": "2"})
    number, problem = read[2]  # the blank line 3 is skipped
    assert number == 4 and isinstance(problem, ImportProblem) and "3 cells" in problem.message
    assert read[3] == (5, {"a": "6", "b": "7"})  # empty trailing cells are no extra cells


def test_a_file_that_is_not_utf8_stops_the_reading_where_it_fails() -> None:
    raw = io.BytesIO(b"a,b\n1,2\n\xff\xfe,3\n")
    *_, (number, last) = records(raw, ImportFormat.CSV, ",")
    assert isinstance(last, Unreadable) and "UTF-8" in last.problem.message
    assert number == last.problem.row


def test_json_lines_report_each_bad_line_and_read_on() -> None:
    raw = io.BytesIO(b'{"a": 1}\nnot json\n[1]\n\n\xff\n{"b": 2}\n')
    read = list(records(raw, ImportFormat.JSONL, ","))
    assert [(n, type(r).__name__) for n, r in read] == [
        (1, "dict"),
        (2, "ImportProblem"),
        (3, "ImportProblem"),
        (5, "ImportProblem"),
        (6, "dict"),
    ]


def test_a_row_maps_to_an_evidence_item_with_its_words_understood() -> None:
    row = parse_row(ROW, SOURCES)
    assert row.item["source_type"] == "support_ticket"
    assert row.item["bears"] == [
        {"proposition_id": "prop-1", "stance": "SUPPORTS", "strength": 0.5, "magnitude": 4}
    ]
    # A date alone is midnight UTC.
    assert row.item["observed_at"] == datetime(2026, 3, 4, tzinfo=UTC).isoformat()


def test_every_bad_field_of_a_row_is_named_at_once() -> None:
    bad = {**ROW, "stance": "maybe", "magnitude": "4.5", "observed_at": "yesterday", "summary": ""}
    with pytest.raises(RowErrors) as refused:
        parse_row(bad, SOURCES)
    assert {e.field_name for e in refused.value.errors} == {
        "stance",
        "magnitude",
        "observed_at",
        "summary",
    }


def test_the_same_content_gets_the_same_key_and_a_given_key_is_namespaced() -> None:
    first = parse_row(ROW, SOURCES)
    assert parse_row(dict(ROW), SOURCES).key == first.key
    assert parse_row({**ROW, "summary": "Other"}, SOURCES).key != first.key
    keyed = parse_row({**ROW, "idempotency_key": "123"}, SOURCES)
    other_source = parse_row({**ROW, "idempotency_key": "123", "source_type": "survey"}, SOURCES)
    assert keyed.key.startswith("import-") and keyed.key != other_source.key
    # The key stands for the ticket, whatever its text says now; the digest tells them apart.
    edited = parse_row({**ROW, "idempotency_key": "123", "summary": "Edited"}, SOURCES)
    assert edited.key == keyed.key and edited.digest != keyed.digest


@pytest.mark.parametrize(
    ("given", "share"),
    [("60%", 0.6), ("60 %", 0.6), ("12.5%", 0.125), ("100%", 1.0), ("0.6", 0.6), ("1", 1.0)],
)
def test_a_strength_is_a_share_or_a_percentage(given: str, share: float) -> None:
    row = parse_row({**ROW, "strength": given}, SOURCES)
    assert row.item["bears"][0]["strength"] == pytest.approx(share)


@pytest.mark.parametrize("given", ["60", "strong", "0%", "150%", "-5%", "%", "0"])
def test_a_strength_that_is_neither_is_a_problem_that_says_what_is_accepted(given: str) -> None:
    with pytest.raises(RowErrors) as refused:
        parse_row({**ROW, "strength": given}, SOURCES)
    (error,) = refused.value.errors
    assert error.field_name == "strength"
    assert repr(given) in error.message and "60%" in error.message


def test_a_magnitude_stays_a_whole_number_from_one_to_five() -> None:
    with pytest.raises(RowErrors) as refused:
        parse_row({**ROW, "magnitude": "80%"}, SOURCES)
    assert [e.field_name for e in refused.value.errors] == ["magnitude"]
