"""`commonground snapshot …` against a real Neo4j: create, list, export, diff, restore."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner, Result

from commonground.cli import app
from graph import entities
from graph.kit.connection import Database
from schema.models import Actor
from tests.commonground.conftest import run_cli
from tests.conftest import wipe
from tests.graph.snapshots.factories import small_company


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["snapshot", *args], catch_exceptions=False)


async def run(*args: str) -> Result:
    return await asyncio.to_thread(_run, *args)


async def test_create_list_export_diff_and_restore(
    db: Database, cli_env: None, tmp_path: Path
) -> None:
    await small_company(db)
    first = await run("create", "--label", "Kick-off", "--as-of", "2026-01-02T12:00:00")
    assert first.exit_code == 0, first.output
    a = first.stdout.strip().splitlines()[-1]
    await db.write(entities.retire, Actor.system(), "pain-5", "out of scope", datetime.now(UTC))
    second = await run("create", "--label", "Later")
    b = second.stdout.strip().splitlines()[-1]
    assert a.startswith("snap-") and b.startswith("snap-") and a != b

    listed = json.loads((await run("list", "--json")).stdout)
    assert [s["label"] for s in listed] == ["Later", "Kick-off"]
    assert "Kick-off" in (await run("list")).stdout

    exported = tmp_path / "kickoff.json"
    result = await run("export", a, "--format", "json", "--output", str(exported))
    assert result.exit_code == 0, result.output
    assert json.loads(exported.read_text())["snapshot"]["id"] == a
    report = tmp_path / "report.html"
    await run("export", b, "--format", "html", "--no-quotes", "--output", str(report))
    assert "<svg" in report.read_text() and "Quote 0" not in report.read_text()
    on_stdout = await run("export", b, "--format", "md")
    assert on_stdout.stdout.startswith("# Alignment snapshot: Later")
    tables = tmp_path / "tables"
    tables.mkdir()
    await run("export", b, "--format", "csv", "--output", str(tables))
    assert (tables / f"{b}-evidence.csv").read_text().count("\n") == 17
    assert len(list(tables.glob("*.csv"))) == 11

    as_json = json.loads((await run("diff", a, b, "--json")).stdout)
    assert [e["id"] for e in as_json["entities_retired"]] == ["pain-5"]
    table = await run("diff", a, b)
    assert "Entities and propositions" in table.stdout and "retired" in table.stdout

    refused = await run("restore", str(exported))
    assert refused.exit_code == 1
    assert "already holds" in refused.output and "--force" in refused.output
    tampered = tmp_path / "tampered.json"
    tampered.write_text(exported.read_text().replace("Slow setup", "Fast setup"))
    await wipe(db)
    bad = await run("restore", str(tampered))
    assert bad.exit_code == 1 and "fingerprint mismatch" in bad.output
    restored = await run("restore", str(exported))
    assert restored.exit_code == 0, restored.output
    assert "Fingerprint verified" in restored.output


async def test_list_and_diff_print_whole_ids_at_80_columns(db: Database, cli_env: None) -> None:
    await small_company(db)
    first = await run("create", "--label", "Kick-off", "--as-of", "2026-01-02T12:00:00")
    await db.write(entities.retire, Actor.system(), "pain-5", "out of scope", datetime.now(UTC))
    second = await run("create", "--label", "A label long enough to need wrapping at 80 columns")
    a = first.stdout.strip().splitlines()[-1]
    b = second.stdout.strip().splitlines()[-1]

    for args in (("snapshot", "list"), ("snapshot", "diff", a, b)):
        shown = await asyncio.to_thread(run_cli, *args, columns=80)
        assert shown.returncode == 0, shown.stderr
        assert a in shown.stdout and b in shown.stdout, shown.stdout
        assert "…" not in shown.stdout, shown.stdout
        assert max(len(line.rstrip()) for line in shown.stdout.splitlines()) <= 80
    assert "pain-5" in shown.stdout  # the retired entity's id, in the diff

    wide = await asyncio.to_thread(run_cli, "snapshot", "list", "--wide", columns=80)
    fingerprints = [s["fingerprint"] for s in json.loads((await run("list", "--json")).stdout)]
    assert all(f in wide.stdout for f in fingerprints)


async def test_csv_export_to_a_new_directory_writes_every_table(
    db: Database, cli_env: None, tmp_path: Path
) -> None:
    from graph.snapshots.export.tables import TABLES

    await small_company(db)
    snapshot = (await run("create", "--label", "Tables")).stdout.strip().splitlines()[-1]

    fresh = tmp_path / "q3-tables"  # not there yet
    result = await run("export", snapshot, "--format", "csv", "--output", str(fresh))
    assert result.exit_code == 0, result.output
    assert fresh.is_dir()
    assert sorted(p.name for p in fresh.iterdir()) == sorted(
        f"{snapshot}-{name}.csv" for name in TABLES
    )
    assert len(TABLES) == 11

    # A path named like a file is one table's file; --table picks which.
    one = tmp_path / "elsewhere" / "evidence.csv"
    result = await run(
        "export", snapshot, "--format", "csv", "--table", "evidence", "--output", str(one)
    )
    assert result.exit_code == 0, result.output
    assert one.is_file()
    assert one.read_text() == (fresh / f"{snapshot}-evidence.csv").read_text()

    # The rule is in --help, and a mistyped id leaves nothing behind.
    assert ".csv" in _run("export", "--help").stdout
    missing = tmp_path / "never"
    result = await run("export", "snap-missing", "--format", "csv", "--output", str(missing))
    assert result.exit_code == 1 and not missing.exists()


async def test_delete_and_purge_from_the_command_line(db: Database, cli_env: None) -> None:
    from graph import evidence
    from graph.snapshots import store as snapshots

    await small_company(db)
    kept = (await run("create", "--label", "Kept")).stdout.strip().splitlines()[-1]
    dropped = (await run("create", "--label", "Dropped")).stdout.strip().splitlines()[-1]

    assert (await run("delete", dropped)).exit_code != 0  # a reason is needed
    deleted = await run("delete", dropped, "--reason", "a test run")
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted snapshot" in deleted.stderr
    assert [s["id"] for s in json.loads((await run("list", "--json")).stdout)] == [kept]
    missing = await run("delete", dropped, "--reason", "again")
    assert missing.exit_code == 1 and "does not exist" in missing.output

    refused = await run("purge", "ev-slow-0", "--reason", "gdpr")
    assert refused.exit_code == 1 and "not redacted" in refused.output
    await db.write(evidence.redact, Actor.system(), "ev-slow-0", "gdpr", datetime.now(UTC))
    purged = await run("purge", "ev-slow-0", "--reason", "gdpr")
    assert purged.exit_code == 0, purged.output
    after = await snapshots.get(db, kept)
    assert purged.stdout.split() == [
        kept,
        after.purges[0].fingerprint_before,
        "->",
        after.fingerprint,
    ]
