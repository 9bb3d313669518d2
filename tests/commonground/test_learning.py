"""`commonground calibration` and `commonground next-evidence` against a real Neo4j."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner, Result

from commonground.cli import app
from graph.kit.connection import Database
from tests.graph.calibration_history import DAY, T0, resolved_history

AS_OF = (T0 + 60 * DAY).date().isoformat()


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


async def test_calibration_prints_whose_picture_was_right(db: Database, cli_env: None) -> None:
    await resolved_history(db)
    found = await asyncio.to_thread(_run, "calibration", "--as-of", AS_OF, "--json")
    assert found.exit_code == 0, found.output
    by = {r["function"]: r for r in json.loads(found.stdout)["functions"]}
    assert by["success"]["forecasts"] == 2
    assert abs(by["success"]["brier_score"] - 0.01) < 1e-12
    assert abs(by["marketing"]["brier_score"] - 0.64) < 1e-12

    table = await asyncio.to_thread(_run, "calibration", "--as-of", AS_OF)
    assert table.exit_code == 0, table.output
    assert "Calibration as of" in table.stdout and "0.010" in table.stdout
    assert "2026-Q2" in table.stdout and "marketing reliability" in table.stdout

    refused = await asyncio.to_thread(_run, "calibration", "--min-lead-days", "-2")
    assert refused.exit_code != 0 and "minLeadDays" in refused.output
    unknown = await asyncio.to_thread(_run, "calibration", "--function", "finance")
    assert unknown.exit_code != 0 and "finance" in unknown.output


async def test_next_evidence_ranks_what_to_research(db: Database, cli_env: None) -> None:
    await resolved_history(db)
    found = await asyncio.to_thread(_run, "next-evidence", "--as-of", AS_OF, "--json")
    assert found.exit_code == 0, found.output
    rows = json.loads(found.stdout)["propositions"]
    assert len(rows) == 2
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    # Both are resolved: validating the validated one takes nothing more.
    assert {r["evidence"]["status"] for r in rows} == {"VALIDATED", "REFUTED"}
    for r in rows:
        if r["evidence"]["status"] == "VALIDATED":
            assert r["items_to_validate"] == 0 and r["items_to_refute"] > 0
    table = await asyncio.to_thread(_run, "next-evidence", "--as-of", AS_OF, "--function", "design")
    assert table.exit_code == 0, table.output
    assert "0 propositions" in table.stdout  # design holds no belief
