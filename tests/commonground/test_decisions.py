"""`commonground decisions` against a real Neo4j: a decision the evidence since has put at
risk, in words and as JSON."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import Result
from typer.testing import CliRunner

from commonground.cli import app
from graph.kit.connection import Database
from schema.vocabulary import Stance
from tests.factories import small_model
from tests.graph.test_decisions import add, at, decide

pytestmark = pytest.mark.usefixtures("cli_env")


async def decisions(*args: str) -> Result:
    """``commonground decisions ARGS`` in a thread (the command runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, app, ["decisions", *args])


async def test_decisions_at_risk_name_their_reasons_and_the_items_that_moved_them(
    db: Database,
) -> None:
    model = await small_model(db, account=None, pains=["Slow onboarding", "No audit log"])
    moving, standing = model.experiences
    await add(db, moving, Stance.SUPPORTS, 5, at(0))
    await add(db, standing, Stance.SUPPORTS, 5, at(0))
    await decide(db, [moving], at(1), title="Build the setup wizard")
    await decide(db, [standing], at(1), title="Ship the audit log")
    against = await add(db, moving, Stance.CONTRADICTS, 6, at(2))

    everything = await decisions("--as-of", "2026-02-01")
    assert everything.exit_code == 0, everything.output
    assert "2 decisions, 1 at risk" in everything.output
    assert "standing  Ship the audit log" in everything.output

    risky = await decisions("--at-risk", "--as-of", "2026-02-01")
    assert risky.exit_code == 0, risky.output
    text = risky.output
    assert "AT RISK  Build the setup wizard" in text and "audit log" not in text
    assert "Ops experience “Slow onboarding”" in text
    assert "then validated" in text and "now contested" in text
    assert "confidence fell from" in text
    assert "moved by 6 items since:" in text and "… and 3 more" in text

    as_json = await decisions("--at-risk", "--json", "--as-of", "2026-02-01")
    body = json.loads(as_json.output)
    assert body["total"] == body["at_risk"] == 1 and body["confidence_shift"] == 0.25
    [decision] = body["decisions"]
    [basis] = decision["basis"]
    assert decision["title"] == "Build the setup wizard" and basis["at_risk"]
    assert sorted(basis["moved_by"]) == sorted(against)
    assert basis["statement"] == "Ops experience “Slow onboarding”"

    before = await decisions("--at-risk", "--as-of", "2026-01-06T12:00")
    assert before.output.startswith("No decision is at risk as of 2026-01-06 12:00 UTC")


async def test_no_decisions_says_how_to_record_one(db: Database) -> None:
    result = await decisions()
    assert result.exit_code == 0
    assert "No decision has been recorded" in result.output
