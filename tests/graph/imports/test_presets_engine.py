"""The preset engine without a database: each tool's export read as its preset says, HTML
and transcripts to text, personal data masked, links matched, malformed records reported by
their index, and the links file checked."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from graph.imports.presets import catalog
from graph.imports.presets.engine import Scan, scan
from graph.imports.presets.links import Links, parse_links
from graph.imports.presets.paths import compile_path
from graph.imports.presets.records import Reader, parse_time
from schema.presets import ExportUnreadable, LinksFileInvalid, PresetUnknown, TimeUnit
from tests.graph.imports.presets import EMAILS, FIXTURES, PHONE_PARTS, PHONES, PRESETS, export
from tests.graph.imports.presets import links as links_file

LIVE = {"prop-a": "prop-a", "prop-b": "prop-b"}


def _scan(
    preset: str, raw: bytes, links: str | None = None, keep_pii: bool = False
) -> tuple[Scan, list[dict[str, Any]]]:
    clean = io.BytesIO()
    parsed = Links.of(parse_links(links or links_file(preset, "prop-a", "prop-b")))
    found = scan(Reader.of(catalog.get(preset)), raw, parsed, LIVE, keep_pii=keep_pii, clean=clean)
    return found, [orjson.loads(line) for line in clean.getvalue().splitlines()]


def test_every_tool_has_a_preset_file() -> None:
    assert sorted(catalog.names()) == sorted(PRESETS)


def test_an_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(PresetUnknown, match="zendesk"):
        catalog.get("jira")


def test_the_fixtures_hold_the_personal_data_the_masking_tests_look_for() -> None:
    everything = "".join(export(p).decode() for p in PRESETS)
    assert all(e in everything for e in EMAILS)
    assert all(p in everything for p in PHONES)


@pytest.mark.parametrize("preset", PRESETS)
def test_no_email_or_phone_survives_in_what_would_be_stored(preset: str) -> None:
    found, items = _scan(preset, export(preset))
    assert items and not found.checks.problem_count
    stored = json.dumps(items)
    assert not [e for e in EMAILS if e in stored]
    assert not [p for p in PHONES + PHONE_PARTS if p in stored]


def test_keep_pii_keeps_the_text_as_written() -> None:
    _, items = _scan("zendesk", export("zendesk"), keep_pii=True)
    assert "dana.ortiz@northwind.example" in items[0]["summary"]
    assert "+1 (415) 555-0142" in items[0]["summary"]


@pytest.mark.parametrize("preset", PRESETS)
def test_a_record_without_an_id_rejects_the_export_with_its_index(preset: str) -> None:
    document = orjson.loads(export(preset))
    listed = catalog.get(preset).records[0]
    document[listed].insert(1, {"note": "an export row with no id"})
    found, _ = _scan(preset, orjson.dumps(document))
    assert [(p.row, p.message) for p in found.checks.problems] == [(1, "record 1 has no id")]


def test_a_record_with_a_time_that_is_no_time_is_rejected_with_its_index() -> None:
    document = orjson.loads(export("zendesk"))
    document["tickets"][2]["created_at"] = "last Tuesday"
    found, _ = _scan("zendesk", orjson.dumps(document))
    (problem,) = found.checks.problems
    assert (problem.row, problem.column) == (2, "created_at")
    assert "48215" in problem.message and "ISO 8601" in problem.message


def test_html_bodies_become_plain_text() -> None:
    _, items = _scan("intercom", export("intercom"))
    summary = items[0]["summary"]
    assert "Setting up the workspace is really slow & confusing." in summary
    assert "<" not in summary and "&amp;" not in summary
    # The admin's reply is not the customer's word; the customer's later part is.
    assert "which step" not in summary
    assert "We gave up and used a spreadsheet." in summary


def test_a_gong_call_with_a_transcript_keeps_only_the_customers_words() -> None:
    _, items = _scan("gong", export("gong"))
    by_ref = {item["source_ref"]: item for item in items}
    call = by_ref["https://app.gong.io/call?id=7782342274025937895"]
    assert call["summary"].startswith("Honestly, setup took our admin two weeks.")
    assert "seller pitch" not in call["summary"]
    assert "Thanks for joining" not in call["summary"]
    # Without a transcript, the call's title and Gong's brief stand for it.
    other = by_ref["https://app.gong.io/call?id=7782342274025937896"]
    assert other["summary"].startswith("Fabrikam | Pricing review")


def test_unix_seconds_milliseconds_iso_and_dates_are_read() -> None:
    moment = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert parse_time(1772618400, TimeUnit.AUTO) == moment
    assert parse_time(1772618400000, TimeUnit.AUTO) == moment
    assert parse_time("1772618400", TimeUnit.SECONDS) == moment
    assert parse_time("2026-03-04T02:00:00-08:00", TimeUnit.AUTO) == moment
    assert parse_time("2026-03-04", TimeUnit.AUTO) == moment.replace(hour=0)
    _, items = _scan("intercom", export("intercom"))
    assert items[0]["observed_at"] == "2026-03-04T10:00:00+00:00"


def test_links_match_by_tag_in_any_case_by_pattern_and_by_field() -> None:
    found, items = _scan("zendesk", export("zendesk"))
    assert found.link_records == [2, 2, 1]  # onboarding / ONBOARDING; spreadsheet; web
    assert (found.matched, found.unmatched, found.unmatched_ids) == (3, 1, ["48215"])
    first = items[0]["bears"]
    assert [(b["proposition_id"], b["strength"]) for b in first] == [
        ("prop-a", 0.8),
        ("prop-b", 1.0),
    ]


def test_a_field_link_reads_typeform_answers_by_their_ref() -> None:
    found, items = _scan("typeform", export("typeform"))
    assert found.link_records == [1, 1, 1]
    assert items[1]["bears"] == [
        {"proposition_id": "prop-b", "stance": "CONTRADICTS", "strength": 1.0, "magnitude": None}
    ]


def test_a_pattern_that_runs_out_of_time_rejects_the_export_at_that_record() -> None:
    long = {"title": "a" * 40 + "b"}
    document = {
        "posts": [{"id": "p1", "title": "fine"}, {"id": "p2", **long}, {"id": "p3", **long}]
    }
    slow = 'links:\n  - text: "(a|aa)+$"\n    proposition: prop-a\n'
    found, _ = _scan("canny", orjson.dumps(document), slow)
    (problem,) = found.checks.problems
    assert (problem.row, problem.column) == (1, "links[0].text")
    assert "ran out of time" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("links: [{proposition: p}]", "links[0]: a link needs exactly one of tag, text or field"),
        ("links: [{tag: a, text: b, proposition: p}]", "exactly one of tag, text or field"),
        ("links: [{field: IsWon, proposition: p}]", "needs equals"),
        ("links: [{tag: a, proposition: p, stance: maybe}]", "links[0]: stance"),
        ("links: [{tag: a, proposition: p, strength: 2}]", "links[0]: strength"),
        ("links: [{tag: a}]", "links[0]: proposition"),
        ("tag: a", "a list 'links:'"),
        ("links: [", "not YAML or JSON"),
        ('{"links": []}', "at least 1"),
    ],
)
def test_a_links_file_that_cannot_be_used_says_why(text: str, message: str) -> None:
    with pytest.raises(LinksFileInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_links(text)


def test_a_pattern_that_is_no_regular_expression_names_its_link() -> None:
    with pytest.raises(LinksFileInvalid, match=r"links\[1\]: text"):
        Links.of(parse_links("links: [{tag: a, proposition: p}, {text: '(', proposition: p}]"))


def test_json_lines_of_pages_and_a_csv_export_are_read_too() -> None:
    document = orjson.loads(export("zendesk"))
    pages = b"\n".join(
        orjson.dumps({"tickets": document["tickets"][n : n + 2], "organizations": []})
        for n in (0, 2)
    )
    found, _ = _scan("zendesk", pages)
    assert found.records == 4
    csv_export = (
        "Id,Name,AccountId,Account.Name,StageName,IsWon,CloseDate,Loss_Reason__c\n"
        "0065e00000AbCdEAAX,Northwind - Platform,0013601230sV7grAAC,Northwind Traders,"
        "Closed Lost,false,2026-03-31,Implementation effort\n"
    )
    found, items = _scan("salesforce", csv_export.encode())
    assert found.records == 1 and items[0]["summary"].startswith("Northwind - Platform")
    assert found.accounts[next(iter(found.accounts))][0].name == "Northwind Traders"


def test_an_export_without_the_presets_records_says_where_it_looked() -> None:
    with pytest.raises(ExportUnreadable, match="tickets"):
        _scan("zendesk", b'{"users": []}')
    with pytest.raises(ExportUnreadable, match="empty"):
        _scan("zendesk", b"  ")


def test_paths_reach_into_lists_and_filter_them() -> None:
    record = {
        "answers": [
            {"field": {"ref": "why"}, "text": "slow"},
            {"field": {"ref": "nps"}, "number": 3},
        ],
        "tags": {"tags": [{"name": "a"}, {"name": "b"}]},
    }
    assert compile_path("answers[field.ref=why].text").values(record) == ["slow"]
    assert compile_path("tags.tags[].name").values(record) == ["a", "b"]
    assert compile_path("answers[].missing").values(record) == []


def test_every_fixture_has_a_links_file() -> None:
    assert all((FIXTURES / f"{p}.links.yaml").exists() for p in PRESETS)


def test_a_requester_without_an_organisation_becomes_the_source_key() -> None:
    _, items = _scan("zendesk", export("zendesk"))
    by_ticket = {item["source_ref"].rsplit("/", 1)[1]: item for item in items}
    assert by_ticket["48213.json"]["source_key"] is None  # Northwind's account stands for it
    assert by_ticket["48216.json"]["source_key"] == "zendesk:20978402"
    document = orjson.loads(export("productboard"))
    del document["data"][0]["company"]
    _, items = _scan("productboard", orjson.dumps(document))
    key = items[0]["source_key"]
    assert key.startswith("productboard:") and "contoso" not in key  # the e-mail, pseudonymised
    _, again = _scan("productboard", orjson.dumps(document))
    assert again[0]["source_key"] == key


def test_an_organisation_with_a_blank_name_is_named_after_its_id() -> None:
    document = orjson.loads(export("salesforce"))
    document["records"][0]["Account"]["Name"] = "   "
    found, _ = _scan("salesforce", orjson.dumps(document))
    names = {ref.external_id: ref.name for ref, _ in found.accounts.values()}
    assert names["0013601230sV7grAAC"] == "Salesforce organisation 0013601230sV7grAAC"
