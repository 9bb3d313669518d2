"""The `commonground` command line: local database, serving, seeding, members and tokens."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from commonground import divergence as divergence_cmd
from commonground import imports as import_cmd
from commonground import snapshots as snapshot_cmd
from graph import startup
from graph.kit import local_neo4j, migrations
from graph.kit.connection import Database, DatabaseNotConfigured, Timeouts, resolve_target
from schema.errors import CommonGroundError
from schema.models import Actor
from schema.settings import Settings, get_settings
from schema.vocabulary import Role

T = TypeVar("T")

GRACEFUL_SHUTDOWN_S = 5  # a request still running this long after Ctrl-C is cancelled

app = typer.Typer(
    help="Common Ground: where each team's picture of the customer diverges from the evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The local Neo4j database.", no_args_is_help=True)
function_app = typer.Typer(help="Functions (teams).", no_args_is_help=True)
member_app = typer.Typer(help="Members of functions.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(function_app, name="function")
app.add_typer(member_app, name="member")
app.add_typer(token_app, name="token")
app.command("import")(import_cmd.import_evidence)
app.command("divergences")(divergence_cmd.divergences)
app.command("alignment")(divergence_cmd.alignment)
app.add_typer(snapshot_cmd.app, name="snapshot")

out = Console()
err = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="The local database's directory (COMMONGROUND_DATA_DIR)."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def settings_for(data_dir: Path | None = None) -> Settings:
    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"commonground_data_dir": data_dir})
    return settings


def open_database(settings: Settings) -> Database:
    try:
        target = resolve_target(
            uri=settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            data_dir=settings.data_dir,
        )
    except DatabaseNotConfigured as error:
        raise fail(str(error)) from None
    if target.local:
        status = local_neo4j.status(settings.data_dir)
        if status is None or not status.running:
            raise fail("the local database is not running: start it with `commonground db start`")
    return Database.connect(
        target, Timeouts(connection_s=10, acquisition_s=30, retry_s=30, transaction_s=600)
    )


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database, schema applied, with friendly errors."""

    async def run() -> T:
        db = open_database(settings)
        try:
            await startup.apply_schema(db)
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(run())
    except CommonGroundError as error:
        raise fail(error.message) from None
    except OSError as error:
        raise fail(f"cannot reach the database: {error}") from None


# ---------------------------------------------------------------- db


@db_app.command("start")
def db_start(
    data_dir: DataDirOption = None,
    bolt_port: Annotated[int | None, typer.Option(help="Bolt port on 127.0.0.1.")] = None,
    heap: Annotated[
        str, typer.Option(help="JVM heap, e.g. 512m or 1g.")
    ] = local_neo4j.DEFAULT_HEAP,
    pagecache: Annotated[
        str, typer.Option(help="Neo4j page cache, e.g. 128m.")
    ] = local_neo4j.DEFAULT_PAGECACHE,
) -> None:
    """Provision (first time) and start the local Neo4j in the background."""
    settings = settings_for(data_dir)
    try:
        if not local_neo4j.install_dir(settings.cache_dir).joinpath(".complete").exists():
            err.print(
                f"Provisioning Neo4j {local_neo4j.NEO4J_VERSION} with Maven into "
                f"{settings.cache_dir} (once; later starts are offline)…"
            )
        with err.status("Starting Neo4j…"):
            database, already = local_neo4j.start(
                settings.data_dir,
                settings.cache_dir,
                bolt_port=bolt_port,
                heap=heap,
                pagecache=pagecache,
                quiet=True,
            )
    except local_neo4j.LocalNeo4jError as error:
        raise fail(str(error)) from None
    if already:
        err.print(f"Neo4j is already running (pid {database.pid}).")
    else:
        err.print(
            f"Neo4j {database.version} started (pid {database.pid}); logs: {database.log_file}"
        )
    print(database.uri)


@db_app.command("stop")
def db_stop(data_dir: DataDirOption = None) -> None:
    """Stop the local Neo4j cleanly; its data is kept."""
    settings = settings_for(data_dir)
    try:
        with err.status("Stopping Neo4j…"):
            stopped = local_neo4j.stop(settings.data_dir)
    except local_neo4j.LocalNeo4jError as error:
        raise fail(str(error)) from None
    err.print("Neo4j stopped; data kept." if stopped else "Neo4j was not running.")


@db_app.command("status")
def db_status(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Say whether the local Neo4j runs, where, and which version."""
    settings = settings_for(data_dir)
    status = local_neo4j.status(settings.data_dir)
    if as_json:
        if status is None:
            print(
                json.dumps(
                    {
                        "running": False,
                        "uri": None,
                        "user": None,
                        "password_file": None,
                        "version": None,
                    }
                )
            )
        else:
            print(json.dumps(status.as_json()))
        return
    if status is None:
        out.print(f"No local database in {settings.data_dir}: run `commonground db start`.")
        raise typer.Exit(1)
    state = "[green]running[/]" if status.running else "[yellow]stopped[/]"
    out.print(f"Neo4j {status.version} {state} at {status.uri}")
    out.print(f"  data: {status.data_dir}\n  password file: {status.password_file}")
    if not status.running:
        raise typer.Exit(1)


# ---------------------------------------------------------------- serve & seed


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API and the workshop page."""
    import uvicorn

    from api.app import create_app
    from api.rest.workshop import end_event_streams

    settings = settings_for()
    err.print(
        f"Common Ground on http://{host}:{port}  (GraphQL: /graphql, workshop: /workshop, "
        "docs: /docs)"
    )

    application = create_app(settings)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Open workshop pages hold event streams; without this, Ctrl-C would wait for
            # them ("Waiting for connections to close") until a second Ctrl-C force-quits.
            end_event_streams(application)
            await super().shutdown(sockets)

    config = uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    Server(config).run()


@app.command()
def seed(
    scale: Annotated[
        int, typer.Option(help="Add N synthetic evidence items (for benchmarks).")
    ] = 0,
    only_if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="Do nothing when the model already has entities (unless an earlier demo "
            "load was cut short: then finish it).",
        ),
    ] = False,
) -> None:
    """Load the demo company (idempotent: loading twice leaves the same graph)."""
    from graph import seeding

    settings = settings_for()

    async def work(db: Database) -> dict[str, int] | None:
        if only_if_empty and await migrations.entity_count(db) > 0:
            if not await seeding.unfinished(db):
                return None
            err.print("An earlier load of the demo company was cut short; finishing it.")
        return await seeding.load_demo(db, progress=err, scale=scale)

    counts = with_database(settings, work)
    if counts is None:
        err.print("The model already has entities; the demo company was not loaded.")
        return
    table = Table(title="Demo company loaded", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    err.print(table)


# ---------------------------------------------------------------- functions, members, tokens


def _now() -> datetime:
    return datetime.now(UTC)


@function_app.command("add")
def function_add(name: Annotated[str, typer.Argument(help="e.g. partnerships")]) -> None:
    """Add a custom function (the seven defaults exist from the start)."""
    from graph import functions

    added = with_database(
        settings_for(), lambda db: db.write(functions.add, Actor.system(), name, _now())
    )
    err.print(f"Function [bold]{added.name}[/] added.")


@function_app.command("list")
def function_list() -> None:
    """List the functions."""
    from graph import functions

    for f in with_database(settings_for(), lambda db: db.read(functions.list_all)):
        out.print(f"{f.name}{'' if f.builtin else '  (custom)'}")


@member_app.command("add")
def member_add(
    name: Annotated[str, typer.Argument(help="The member's name, unique.")],
    function: Annotated[str, typer.Option("--function", help="The member's function.")],
    role: Annotated[
        Role, typer.Option("--role", help="What the member may do.")
    ] = Role.CONTRIBUTOR,
) -> None:
    """Add a member to a function."""
    from graph import members

    member = with_database(
        settings_for(),
        lambda db: db.write(members.add, Actor.system(), name, function, role, _now()),
    )
    err.print(
        f"Member [bold]{member.name}[/] ({member.function}, {member.role.value}) added: {member.id}"
    )


@member_app.command("deactivate")
def member_deactivate(name: Annotated[str, typer.Argument(help="Name or id.")]) -> None:
    """Deactivate a member: all their tokens stop working."""
    from graph import members

    revoked = with_database(
        settings_for(), lambda db: db.write(members.deactivate, Actor.system(), name, _now())
    )
    err.print(f"Member {name} deactivated; {revoked} token(s) revoked.")


@member_app.command("list")
def member_list() -> None:
    """List members."""
    from graph import members

    table = Table("name", "function", "role", "active", "id")
    for m in with_database(settings_for(), lambda db: db.read(members.list_all)):
        table.add_row(m.name, m.function, m.role.value, "yes" if m.active else "no", m.id)
    out.print(table)


@token_app.command("create")
def token_create(member: Annotated[str, typer.Argument(help="Member name or id.")]) -> None:
    """Print a new API token for a member: the token alone on stdout, shown only once."""
    from graph import members

    token_id, token = with_database(
        settings_for(), lambda db: db.write(members.create_token, Actor.system(), member, _now())
    )
    err.print(f"Token {token_id} created for {member}; it is shown once and stored only as a hash.")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (tok-…).")]) -> None:
    """Revoke one token."""
    from graph import members

    with_database(
        settings_for(), lambda db: db.write(members.revoke_token, Actor.system(), token_id, _now())
    )
    err.print(f"Token {token_id} revoked.")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)


if __name__ == "__main__":
    main()
