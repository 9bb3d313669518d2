"""`commonground divergences` and `commonground alignment` against a real Neo4j."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from typing import Any

from neo4j import AsyncManagedTransaction
from typer.testing import CliRunner

from commonground.cli import app
from graph import beliefs, entities, evidence, propositions
from graph.divergence import EngineSettings, alignment, belief_gaps, load_picture
from graph.kit.connection import Database
from schema.models import (
    Actor,
    BearingCreate,
    BeliefCreate,
    EntityCreate,
    EvidenceCreate,
    PropositionCreate,
)
from schema.vocabulary import EntityKind, Relation, Stance
from tests.commonground.conftest import run_cli

SYSTEM = Actor.system()
T0 = datetime(2026, 3, 1, tzinfo=UTC)
AS_OF = "2026-06-01"
FUNCTIONS = ("product", "marketing", "sales", "success", "design")


async def _small_company(db: Database) -> str:
    """Two segments, six propositions, evidence and beliefs that disagree (one write)."""

    async def build(tx: AsyncManagedTransaction) -> str:
        async def entity(kind: EntityKind, name: str) -> str:
            created, _ = await entities.create(tx, SYSTEM, EntityCreate(kind=kind, name=name), T0)
            return created.id

        ops = await entity(EntityKind.SEGMENT, "Mid-market operations teams")
        await entity(EntityKind.SEGMENT, "Digital marketing agencies")
        for n, (relation, kind, name) in enumerate(
            [
                # As long as the demo's longest: it sets how tall a row gets at 80 columns.
                (
                    Relation.EXPERIENCES,
                    EntityKind.PAIN,
                    "Weeks to get set up: connecting sources and defining metrics",
                ),
                (Relation.EXPERIENCES, EntityKind.PAIN, "Stale data"),
                (Relation.PURSUES, EntityKind.GOAL, "Act on live data"),
                (Relation.PURSUES, EntityKind.GOAL, "Weekly KPI review"),
                (Relation.USES, EntityKind.ALTERNATIVE, "Spreadsheets"),
                (Relation.USES, EntityKind.ALTERNATIVE, "Glasswing BI"),
            ]
        ):
            target = await entity(kind, name)
            data = PropositionCreate(subject_id=ops, relation=relation, object_id=target)
            created, _ = await propositions.create(tx, SYSTEM, data, T0)
            stance = Stance.SUPPORTS if n % 2 == 0 else Stance.CONTRADICTS
            items = [
                EvidenceCreate(
                    source_type="interview",
                    summary=f"interview {n}.{k}",
                    observed_at=T0,
                    bears=[BearingCreate(proposition_id=created.id, stance=stance)],
                )
                for k in range(n % 3 + 1)
            ]
            await evidence.add(tx, SYSTEM, items, T0)
            for k, function in enumerate(FUNCTIONS):
                p = round(((n * 7 + k * 3) % 10) / 10 + 0.05, 2)
                belief = BeliefCreate(
                    proposition_id=created.id, p=p, magnitude=1 + (n + k) % 5, function=function
                )
                await beliefs.state(tx, SYSTEM, belief, T0)
        return ops

    return await db.write(build)


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


async def test_divergences_and_alignment_print_tables_and_json(db: Database, cli_env: None) -> None:
    ops = await _small_company(db)
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    picture = await db.read(load_picture, EngineSettings(), as_of=as_of)
    expected = belief_gaps(picture, significant_only=True)
    assert expected

    result = await asyncio.to_thread(_run, "divergences", "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["total"] == len(expected) and body["significant_only"]
    assert body["thresholds"]["significant_gap"] == 0.25
    assert [(g["function"], g["proposition"]["id"], g["gap"]) for g in body["gaps"]] == [
        (g.function, g.proposition.id, g.gap) for g in expected
    ]
    assert body["gaps"][0]["evidence"]["evidence_ids"]

    table = await asyncio.to_thread(_run, "divergences", "--as-of", AS_OF, "--limit", "3")
    assert table.exit_code == 0, table.output
    assert f"{len(expected)} significant belief gaps" in table.stdout
    assert expected[0].function in table.stdout and f"{expected[0].gap:+.2f}" in table.stdout

    only_sales = await asyncio.to_thread(
        _run, "divergences", "--as-of", AS_OF, "--function", "sales", "--all", "--json"
    )
    assert {g["function"] for g in json.loads(only_sales.stdout)["gaps"]} == {"sales"}

    # A segment by the starts of words of its name.
    scoped = await asyncio.to_thread(
        _run, "alignment", "--as-of", AS_OF, "--segment", "mid market", "--json"
    )
    assert scoped.exit_code == 0, scoped.output
    figures = json.loads(scoped.stdout)
    ops_picture = await db.read(load_picture, EngineSettings(), as_of=as_of, segment_id=ops)
    assert figures["alignment"] == json.loads(alignment(ops_picture).model_dump_json())
    assert figures["segments"] == []

    overall = await asyncio.to_thread(_run, "alignment", "--as-of", AS_OF)
    assert overall.exit_code == 0, overall.output
    assert "Krippendorff's alpha" in overall.stdout and "By segment" in overall.stdout
    assert "Digital marketing agencies" in overall.stdout
    for function in FUNCTIONS:
        assert function in overall.stdout


async def test_bad_options_fail_with_a_message(db: Database, cli_env: None) -> None:
    await _small_company(db)
    for args, message in [
        (("divergences", "--function", "finance"), "function 'finance' does not exist"),
        (("divergences", "--segment", "nowhere"), "segment 'nowhere' does not exist"),
        (("alignment", "--as-of", "yesterday"), "is not an ISO date"),
    ]:
        result = await asyncio.to_thread(_run, *args)
        assert result.exit_code == 1, args
        assert message in result.stderr, (args, result.stderr)


def _table_body(stdout: str) -> list[str]:
    """The rows of the gaps table: between its header line and its caption."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if "proposition" in line)
    caption = next(i for i, line in enumerate(lines) if line.startswith("gap = "))
    return lines[header + 1 : caption]


async def test_divergences_fit_80_columns_with_each_gap_on_at_most_three_lines(
    db: Database, cli_env: None
) -> None:
    await _small_company(db)
    every = json.loads(
        (await asyncio.to_thread(_run, "divergences", "--as-of", AS_OF, "--all", "--json")).stdout
    )["gaps"][:8]
    assert len(every) == 8

    args = ("divergences", "--as-of", AS_OF, "--all", "--limit", "8")
    narrow = await asyncio.to_thread(run_cli, *args, columns=80)
    assert narrow.returncode == 0, narrow.stderr
    assert max(len(line.rstrip()) for line in narrow.stdout.splitlines()) <= 80
    body = _table_body(narrow.stdout)
    starts = [n for n, line in enumerate(body) if re.match(r"\s*\d+ ", line)]
    assert len(starts) == 8, narrow.stdout
    heights = [b - a for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]
    assert max(heights) <= 3, narrow.stdout
    for gap in every:
        assert gap["function"] in narrow.stdout
    assert "--wide" in narrow.stdout  # the caption says where the rest is
    # Propositions read as sentences, not in the database's relation names.
    assert not [r.value for r in Relation if f" {r.value} " in narrow.stdout], narrow.stdout

    roomy = await asyncio.to_thread(run_cli, *args, columns=200)
    assert len(_table_body(roomy.stdout)) == 8, roomy.stdout  # a line per gap
    assert "rank" in roomy.stdout

    # --wide: the evidence in full and each proposition's id, whole even at 80 columns.
    wide = await asyncio.to_thread(run_cli, *args, "--wide", columns=80)
    assert wide.returncode == 0, wide.stderr
    assert "the evidence behind it" in wide.stdout and "accounts" in wide.stdout
    for gap in every:
        assert gap["proposition"]["id"] in wide.stdout


async def test_opposing_only_lists_the_gaps_that_oppose_the_evidence(
    db: Database, cli_env: None
) -> None:
    await _small_company(db)
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    picture = await db.read(load_picture, EngineSettings(), as_of=as_of)
    every = belief_gaps(picture, significant_only=True)
    opposing = [g for g in every if g.opposes_evidence]
    assert 0 < len(opposing) < len(every)

    result = await asyncio.to_thread(
        _run, "divergences", "--as-of", AS_OF, "--opposing-only", "--json"
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["opposing_only"] and body["total"] == len(opposing)
    assert all(g["opposes_evidence"] for g in body["gaps"])
    table = await asyncio.to_thread(_run, "divergences", "--as-of", AS_OF)
    assert "OPPOSES" in table.stdout and "strength" in table.stdout
