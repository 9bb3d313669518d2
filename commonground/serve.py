"""`commonground serve`: the API and the workshop page under uvicorn."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from commonground.console import err, settings_for

GRACEFUL_SHUTDOWN_S = 5  # a request still running this long after Ctrl-C is cancelled


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API and the workshop page."""
    # Said before the web stack loads, which takes seconds on a cold machine.
    err.print(
        f"Common Ground on http://{host}:{port}  (GraphQL: /graphql, workshop: /workshop, "
        "docs: /docs); starting…",
        soft_wrap=True,
    )
    # Imported here, not at the top: every other command starts without loading the web stack.
    import uvicorn

    from api import logs
    from api.app import create_app
    from api.rest.workshop.events import end_event_streams

    settings = settings_for()

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
