"""`commonground function add|list`: the functions (teams) beliefs are stated for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from commonground.console import err, out, settings_for, with_database
from graph import functions
from schema.models import Actor

app = typer.Typer(help="Functions (teams).", no_args_is_help=True)


@app.command("add")
def function_add(name: Annotated[str, typer.Argument(help="e.g. partnerships")]) -> None:
    """Add a custom function (the seven defaults exist from the start)."""
    added = with_database(
        settings_for(),
        lambda db: db.write(functions.add, Actor.system(), name, datetime.now(UTC)),
    )
    err.print(f"Function [bold]{added.name}[/] added.")


@app.command("list")
def function_list() -> None:
    """List the functions."""
    for f in with_database(settings_for(), lambda db: db.read(functions.list_all)):
        out.print(f"{f.name}{'' if f.builtin else '  (custom)'}")
