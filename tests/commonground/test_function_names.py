"""Function names on the command line: `--function Sales` means the function `sales`, and a
name that is no function is refused with the names that are."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from typer.testing import CliRunner

from commonground.cli import app
from graph import members
from graph.kit.connection import Database
from schema.vocabulary import DEFAULT_FUNCTIONS
from tests.commonground.test_divergence import AS_OF, _small_company


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _words(text: str) -> str:
    # The console wraps long messages at its width.
    return " ".join(text.split())


async def test_a_function_is_named_in_any_case(db: Database, cli_env: None) -> None:
    await _small_company(db)
    gaps = await asyncio.to_thread(
        _run, "divergences", "--as-of", AS_OF, "--function", "Sales", "--all", "--json"
    )
    assert gaps.exit_code == 0, gaps.output
    assert {g["function"] for g in json.loads(gaps.stdout)["gaps"]} == {"sales"}

    added = await asyncio.to_thread(_run, "member", "add", "Ada Sales", "--function", " SALES ")
    assert added.exit_code == 0, added.output
    member = await db.read(members.find, "Ada Sales")
    assert member is not None and member.function == "sales"


async def test_an_unknown_function_is_refused_with_the_valid_names(
    db: Database, cli_env: None
) -> None:
    for args in (
        ("divergences", "--as-of", AS_OF, "--function", "Salez"),
        ("member", "add", "Bob", "--function", "Salez"),
    ):
        result = await asyncio.to_thread(_run, *args)
        assert result.exit_code == 1, args
        said = _words(result.stderr)
        assert "function 'Salez' does not exist" in said, said
        for name in DEFAULT_FUNCTIONS:
            assert name in said, (args, said)
