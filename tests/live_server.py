"""A real uvicorn serving the app on a free port, in a thread with its own event loop and
driver: for tests that need HTTP as a browser or a second API replica sees it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import uvicorn

from api.app import create_app
from graph.kit import local_neo4j
from schema.settings import Settings


class ServerDidNotStart(Exception):
    pass


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread


@contextlib.contextmanager
def serve(settings: Settings, ready_within_s: float = 120) -> Iterator[LiveServer]:
    """Run the API until the block ends; yield once ``/readyz`` answers 200."""
    port = local_neo4j.free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_within_s
        while True:
            try:
                if server.started and httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise ServerDidNotStart(f"the API on {url} did not become ready")
            time.sleep(0.2)
        yield LiveServer(url, server, thread)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
