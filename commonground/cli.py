"""The `commonground` command line: assembles each concept's commands into one app.

The commands live beside their concept (`db`, `serve`, `seeding`, `functions`, `members`,
`imports`, `divergence`, `snapshots`); what they share is in `console`, `tables` (listings
that fit the terminal and never cut an id) and `progress` (what a long command is doing).
"""

from __future__ import annotations

import sys

import typer

from commonground import (
    db,
    decisions,
    divergence,
    functions,
    imports,
    members,
    seeding,
    serve,
    snapshots,
)
from commonground.console import err
from commonground.divergence import learning

app = typer.Typer(
    help="Common Ground: where each team's picture of the customer diverges from the evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(functions.app, name="function")
app.add_typer(members.member_app, name="member")
app.add_typer(members.token_app, name="token")
app.command("import")(imports.import_evidence)
app.command("divergences")(divergence.divergences)
app.command("alignment")(divergence.alignment)
app.command("calibration")(learning.calibration)
app.command("next-evidence")(learning.next_evidence)
app.command("decisions")(decisions.decisions)
app.add_typer(snapshots.app, name="snapshot")
app.command("serve")(serve.serve)
app.command("seed")(seeding.seed)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)


if __name__ == "__main__":
    main()
