"""`commonground db start|stop|status`: the local Neo4j, provisioned once and run in the
background."""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Annotated

import typer

from commonground.console import DataDirOption, err, fail, out, settings_for
from commonground.progress import working
from graph.kit import local_neo4j

app = typer.Typer(help="The local Neo4j database.", no_args_is_help=True)


START_QUIET_S = 2.0


@app.command("start")
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
            with working(
                f"provisioning Neo4j {local_neo4j.NEO4J_VERSION}",
                err,
                detail=f": Maven downloads its jars into {settings.cache_dir} "
                "(once, about a minute; later starts are offline)",
            ):
                local_neo4j.provision(settings.cache_dir, quiet=True)
        current = local_neo4j.status(settings.data_dir)
        up = current is not None and current.running
        # Said once it takes a moment, so an instant refusal (a port taken) stays one line.
        starting = working(
            "starting Neo4j", err, detail=f" in {settings.data_dir}", after_s=START_QUIET_S
        )
        with nullcontext() if up else starting:
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
        err.print(
            f"Neo4j is already running at {database.uri} (pid {database.pid}).", soft_wrap=True
        )
    else:
        err.print(
            f"Neo4j {database.version} started at {database.uri} (pid {database.pid}); "
            f"logs: {database.log_file}",
            soft_wrap=True,
        )
    print(database.uri)


@app.command("stop")
def db_stop(data_dir: DataDirOption = None) -> None:
    """Stop the local Neo4j cleanly; its data is kept."""
    settings = settings_for(data_dir)
    try:
        with working("stopping Neo4j", err):
            stopped = local_neo4j.stop(settings.data_dir)
    except local_neo4j.LocalNeo4jError as error:
        raise fail(str(error)) from None
    err.print("Neo4j stopped; data kept." if stopped else "Neo4j was not running.")


@app.command("status")
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
