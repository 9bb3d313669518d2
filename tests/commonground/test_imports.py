"""`commonground import`: a file with a mapping file, resent without writing anything new,
a bad file refused with the same report as REST's, and the fields a mapping may name in
`--help`."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commonground.cli import app
from graph import evidence
from graph.kit.connection import Database
from schema.imports import FIELDS, REQUIRED
from tests.api.apphelpers import graph_fingerprint
from tests.factories import make_caller
from tests.graph.imports.tickets import TICKET_MAPPING, ticket_model, tickets_csv


def _cli(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A process of its own, as a user runs it; cli_env has pointed the environment at the
    # test database.
    return subprocess.run(
        [sys.executable, "-m", "commonground.cli", "import", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.usefixtures("cli_env")
async def test_the_cli_imports_with_a_mapping_file_and_the_same_report(
    db: Database, tmp_path: Path
) -> None:
    props, account = await ticket_model(db)
    success = await make_caller(db, "success")
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(tickets_csv(props, account, 12))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(TICKET_MAPPING))
    args = (str(tickets), "--mapping", str(mapping), "--member", success.member.name, "--json")

    first = await asyncio.to_thread(_cli, tmp_path, *args)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["rows"], summary["created"]) == (12, 12)
    items = await db.read(evidence.for_proposition, props[0], datetime.now(UTC))
    assert {i.function for i in items} == {"success"}
    again = await asyncio.to_thread(_cli, tmp_path, *args)
    assert json.loads(again.stdout)["already_present"] == 12

    bad = tmp_path / "bad.csv"
    bad.write_text(tickets_csv(props, account, 12).replace(",supports,", ",perhaps,", 1))
    before = await graph_fingerprint(db)
    rejected = await asyncio.to_thread(
        _cli, tmp_path, str(bad), "--mapping", str(mapping), "--json"
    )
    assert rejected.returncode == 1
    report = json.loads(rejected.stdout)
    assert report["problems"][0]["column"] == "Stance" and report["problems"][0]["row"] == 3
    assert await graph_fingerprint(db) == before


def test_the_help_lists_every_field_a_mapping_may_name_one_a_line() -> None:
    shown = CliRunner().invoke(app, ["import", "--help"], terminal_width=100)
    assert shown.exit_code == 0, shown.output
    lines = [line.strip(" │") for line in shown.stdout.splitlines()]
    for field in FIELDS:
        (line,) = [line for line in lines if line.split(" ", 1)[0] == field]
        assert ("required" in line) == (field in REQUIRED), line
    assert "docs/import.md" in shown.stdout
