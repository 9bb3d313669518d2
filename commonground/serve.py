"""`commonground serve`: the API and the workshop page under uvicorn."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Annotated

import typer

from commonground.console import err, settings_for

if TYPE_CHECKING:
    from fastapi import FastAPI

GRACEFUL_SHUTDOWN_S = 5  # a request still running this long after Ctrl-C is cancelled


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes sharing the port (default 1). Each keeps its own copy of "
            "the shared model and its own request limits; see docs/design.md.",
        ),
    ] = 1,
) -> None:
    """Run the API and the workshop page."""
    # Said before the web stack loads, which takes seconds on a cold machine.
    processes = f", {workers} worker processes" if workers > 1 else ""
    err.print(
        f"Common Ground on http://{host}:{port}  (GraphQL: /graphql, workshop: /workshop, "
        f"docs: /docs{processes}); starting…",
        soft_wrap=True,
    )
    # Imported here, not at the top: every other command starts without loading the web stack.
    import uvicorn

    from api import logs
    from api.app import create_app
    from api.rest.workshop.events import end_event_streams

    settings = settings_for()  # a bad setting is reported here, before any worker starts
    if workers > 1:
        # Each worker builds the app itself (an import string: an app holding a driver
        # cannot be handed to another process). Open workshop pages' event streams end
        # within the graceful timeout when the server stops.
        uvicorn.run(
            f"{__name__}:worker_application",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=logs.uvicorn_log_config(),
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return

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
        log_config=logs.uvicorn_log_config(),  # sign-in links' tokens never reach the log
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    Server(config).run()


def worker_application() -> FastAPI:
    """The app of one worker process of ``serve --workers N``: settings from the environment,
    as the command that started it read them."""
    from api.app import create_app

    return create_app(settings_for())
