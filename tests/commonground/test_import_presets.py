"""`commonground import FILE --preset P --links L`: a dry run that writes nothing and says
what each link matched, then the import, resent without effect, and a malformed record
refused with its index."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest

from graph import evidence
from graph.kit.connection import Database
from tests.commonground.conftest import run_cli
from tests.factories import make_caller, small_model
from tests.graph.imports.presets import export, links


@pytest.mark.usefixtures("cli_env")
async def test_the_cli_imports_a_zendesk_export_after_a_dry_run(
    db: Database, tmp_path: Path
) -> None:
    model = await small_model(db, segment="Mid-market ops", account="Northwind Traders")
    member = await make_caller(db, "success")
    tickets = tmp_path / "tickets.json"
    tickets.write_bytes(export("zendesk"))
    links_file = tmp_path / "links.yaml"
    links_file.write_text(links("zendesk", *model.experiences))
    args = ["import", str(tickets), "--preset", "zendesk", "--links", str(links_file)]
    args += ["--segment", "Mid-market ops", "--member", member.member.name]

    dry = await asyncio.to_thread(run_cli, *args, "--dry-run", columns=160)
    assert dry.returncode == 0, dry.stderr
    assert "tag onboarding" in dry.stderr and "matched none (48215)" in dry.stderr
    assert "to create: Fabrikam" in dry.stderr and "nothing was written" in dry.stderr
    assert await db.read(evidence.count) == 0

    first = await asyncio.to_thread(run_cli, *args, "--json")
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout)
    assert (answer["report"]["items"], answer["import"]["created"]) == (3, 3)
    assert await db.read(evidence.count) == 3
    again = await asyncio.to_thread(run_cli, *args, "--json")
    assert json.loads(again.stdout)["import"]["already_present"] == 3, again.stdout


@pytest.mark.usefixtures("cli_env")
async def test_the_cli_refuses_a_malformed_record_by_its_index(
    db: Database, tmp_path: Path
) -> None:
    model = await small_model(db, segment="Ops", account=None)
    document = orjson.loads(export("canny"))
    document["posts"][2]["created"] = "yesterday"
    posts = tmp_path / "posts.json"
    posts.write_bytes(orjson.dumps(document))
    links_file = tmp_path / "links.json"
    links_file.write_text(links("canny", *model.experiences))
    bad = await asyncio.to_thread(
        run_cli,
        "import",
        str(posts),
        "--preset",
        "canny",
        "--links",
        str(links_file),
        columns=200,
    )
    assert bad.returncode == 1
    assert "record 553c3ef8b8cdcd1501ba1240" in bad.stderr and "Nothing was written" in bad.stderr
    assert await db.read(evidence.count) == 0
    missing = await asyncio.to_thread(run_cli, "import", str(posts), "--preset", "canny")
    assert missing.returncode == 1 and "--links" in missing.stderr
    mixed = await asyncio.to_thread(
        run_cli,
        "import",
        str(posts),
        "--preset",
        "canny",
        "--links",
        str(links_file),
        "--format",
        "jsonl",
    )
    assert mixed.returncode == 1 and "leave out --format" in mixed.stderr
