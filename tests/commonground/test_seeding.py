"""`commonground seed` says what it is doing while it loads, on stderr."""

from __future__ import annotations

import asyncio
import re
import time

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from commonground import progress
from commonground.cli import app
from graph.kit.connection import Database


def _seed(*args: str) -> Result:
    return CliRunner().invoke(app, ["seed", *args], catch_exceptions=False)


async def test_seed_prints_each_step_on_stderr(db: Database, cli_env: None) -> None:
    result = await asyncio.to_thread(_seed, "--scale", "1500")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # stdout stays clean for scripts
    lines = result.stderr.splitlines()
    for step in ("members", "entities", "propositions", "evidence", "beliefs"):
        done = [line for line in lines if re.fullmatch(rf"Loading {step}… (\d+)/\1", line)]
        assert done, (step, result.stderr)
    assert "Loading synthetic evidence… 0/1500" in lines
    assert "Loading synthetic evidence… 1500/1500" in lines
    assert "Demo company loaded" in result.stderr


def test_a_long_silent_step_says_it_is_still_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.05)
    console = Console(record=True, width=80, force_terminal=False)
    with progress.working("downloading Neo4j", console=console, detail=" into the cache"):
        time.sleep(0.6)
    with progress.steps("Loading", console=console) as report:
        report("evidence", 0, 10)
        time.sleep(0.6)
        report("evidence", 10, 10)
    text = console.export_text()
    assert text.startswith("Downloading Neo4j into the cache…")
    assert "… still downloading Neo4j (" in text  # the detail is said once
    assert "… still loading evidence (0/10)" in text
    assert "Loading evidence… 10/10" in text


def test_a_usually_quick_step_says_nothing_unless_it_lasts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.1)
    quick = Console(record=True, width=80, force_terminal=False)
    with progress.working("preparing the database", quick, after_s=5):
        pass
    assert quick.export_text() == ""
    slow = Console(record=True, width=80, force_terminal=False)
    with progress.working("preparing the database", slow, after_s=0.05):
        time.sleep(0.6)
    said = slow.export_text()
    assert said.startswith("Preparing the database…") and "done in" in said
