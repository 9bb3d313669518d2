"""The column mapping: what feeds each field, columns named like a field, nested JSON
columns, translated values, a mapping refused with an error naming the field, and the
import guide's account of the fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.imports.mapping import ColumnMapping, FieldSource
from schema.errors import BadInput
from schema.imports import FIELDS, ImportFieldUnknown, ImportMappingInvalid


def test_a_mapping_names_columns_constants_translations_and_a_date_format() -> None:
    mapping = ColumnMapping.parse(
        '{"summary": "Subject", "source_type": {"const": "survey"}, '
        '"stance": {"column": "Mood", "values": {"happy": "SUPPORTS"}}, '
        '"observed_at": {"column": "When", "format": "%d/%m/%Y"}}'
    )
    assert mapping.source("summary", {"Subject"}) == FieldSource(column="Subject")
    assert mapping.source("source_type", set()) == FieldSource(const="survey")
    stance = mapping.source("stance", {"Mood"})
    assert stance is not None and stance.value({"Mood": " happy "}) == "SUPPORTS"
    assert stance.value({"Mood": "sad"}) == "sad"
    observed = mapping.source("observed_at", {"When"})
    assert observed is not None and observed.format == "%d/%m/%Y"


def test_unmapped_fields_come_from_columns_named_like_them_in_either_spelling() -> None:
    mapping = ColumnMapping.parse(None)
    assert mapping.source("source_type", {"sourceType"}) == FieldSource(column="sourceType")
    assert mapping.source("source_type", {"source_type"}) == FieldSource(column="source_type")
    assert mapping.source("source_type", {"kind"}) is None
    # JSON Lines has no header: the field's own name is looked up in each record.
    assert mapping.source("summary", None) == FieldSource(column="summary")


def test_a_json_lines_column_may_name_a_nested_field_and_blank_text_is_no_value() -> None:
    source = FieldSource(column="response.comment")
    assert source.value({"response": {"comment": "Too slow"}}) == "Too slow"
    assert source.value({"response": {}}) is None
    assert source.value({"response.comment": "   "}) is None
    assert FieldSource(const=4).value({}) == 4


def test_a_mapping_naming_no_field_of_ours_is_refused_with_that_name() -> None:
    with pytest.raises(ImportFieldUnknown) as refused:
        ColumnMapping.parse({"subject": "Ticket subject"})
    assert refused.value.field == "subject"
    assert "'subject'" in refused.value.message and "summary" in refused.value.message
    assert isinstance(refused.value, BadInput)


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ("{nope", None, "not valid JSON"),
        ("[1]", None, "JSON object"),
        ({"summary": ""}, "summary", "empty column name"),
        ({"summary": {"column": "A", "const": "b"}}, "summary", "exactly one of"),
        ({"summary": {"colum": "A"}}, "summary", "unknown keys"),
        ({"magnitude": {"const": True}}, "magnitude", "string or number"),
        ({"stance": {"column": "S", "values": ["a"]}}, "stance", "map strings"),
        ({"summary": {"column": "S", "format": "%Y"}}, "summary", "observed_at only"),
        ({"summary": 3}, "summary", "column name or an object"),
    ],
)
def test_a_mapping_that_cannot_be_used_is_refused_naming_the_field(
    raw: object, field: str | None, words: str
) -> None:
    with pytest.raises(ImportMappingInvalid) as refused:
        ColumnMapping.parse(raw)
    assert refused.value.field == field
    assert words in refused.value.message


def test_the_import_guide_shows_every_field_and_a_mapping_that_parses() -> None:
    guide = (Path(__file__).parents[3] / "docs" / "import.md").read_text()
    rows = {line.split("|")[1].strip() for line in guide.splitlines() if line.startswith("| `")}
    assert {f"`{name}`" for name in FIELDS} <= rows
    example = guide.split("```json\n", 1)[1].split("```", 1)[0]
    assert set(ColumnMapping.parse(example).fields) == set(FIELDS)
