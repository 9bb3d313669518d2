"""Snapshot reports in plain words: propositions as the workshop page words them, quotes in
one pair of quotation marks, times as people write them, in Markdown, HTML and CSV alike."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from graph.divergence import EngineSettings
from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from graph.snapshots.export import export
from graph.snapshots.export.words import moment, quoted
from graph.snapshots.figures import figures_for
from schema.models import Actor
from schema.sentences import sentence
from schema.vocabulary import Relation
from tests.graph.snapshots.factories import small_company

# A relation's database name, as a whole word (EXPERIENCES, BACKED_BY, ...).
DATABASE_WORDS = re.compile(r"\b(" + "|".join(r.value for r in Relation) + r")\b")


async def _snapshot(db: Database) -> str:
    await small_company(db)
    info, _ = await snapshots.create(
        db, Actor.system(), figures_for(EngineSettings()), label="Review"
    )
    return info.id


async def _export(db: Database, snapshot_id: str, fmt: str, table: str | None = None) -> str:
    return b"".join([p async for p in export(db, snapshot_id, fmt, table=table)]).decode()


async def _report(db: Database, fmt: str) -> str:
    return await _export(db, await _snapshot(db), fmt)


async def test_markdown_words_propositions_as_the_workshop_does(db: Database) -> None:
    text = await _report(db, "md")
    assert not DATABASE_WORDS.findall(text)
    assert "Ops teams experience “Slow setup”" in text
    assert "Ops teams EXPERIENCES" not in text


async def test_html_words_propositions_and_times_for_people(db: Database) -> None:
    text = await _report(db, "html")
    assert not DATABASE_WORDS.findall(text)
    assert "Ops teams experience “Slow setup”" in text
    footer = re.search(r"<footer>(.*?)</footer>", text, re.S)
    assert footer is not None
    # "22 Nov 2026, 14:05 UTC": no ISO "T", no seconds, no microseconds.
    assert re.search(r"Figures as of \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", footer[1])
    assert not re.search(r"\d\d:\d\d:\d\d", footer[1])


async def test_csv_tables_people_read_use_sentences(db: Database) -> None:
    snapshot_id = await _snapshot(db)
    for table, column in (
        ("heatmap", "proposition"),
        ("top_gaps", "text"),
        ("disagreements", "text"),
    ):
        text = await _export(db, snapshot_id, "csv", table)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows, table
        assert not DATABASE_WORDS.findall(text), table
        assert all(r[column].startswith("Ops teams experience “") for r in rows), table


def test_one_sentence_builder_for_every_relation() -> None:
    assert sentence("Ops teams", Relation.EXPERIENCES, "Slow setup") == (
        "Ops teams experience “Slow setup”"
    )
    assert sentence("One number", "BACKED_BY", "Reconciliation") == (
        "“One number” is backed by “Reconciliation”"
    )
    for relation in Relation:
        assert not DATABASE_WORDS.findall(sentence("A", relation, "B")), relation


def test_a_quote_is_wrapped_once() -> None:
    assert quoted("Daily is plenty.") == "“Daily is plenty.”"
    assert quoted("Ticket: “The link is a 404.”") == "Ticket: “The link is a 404.”"
    assert quoted("“Daily is plenty.” — VP Operations") == "“Daily is plenty.” — VP Operations"


def test_a_moment_reads_in_utc_without_microseconds() -> None:
    at = datetime(2026, 11, 22, 14, 5, 33, 123456, tzinfo=UTC)
    assert moment(at) == "22 Nov 2026, 14:05 UTC"
    assert moment("2026-11-22T15:05:00+01:00") == "22 Nov 2026, 14:05 UTC"
