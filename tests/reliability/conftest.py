"""Fixtures for the reliability tests: a database of their own, and real servers over HTTP.

Crash, outage and restart tests kill or stop a database: never the shared session database,
always the one started here in a temporary directory on a free port (the jars come from the
shared cache). Servers are real `commonground serve` processes (uvicorn) bound to 127.0.0.1,
started in a scratch directory (so no `.env` file is read) and stopped by their fixture.
Every wait here is bounded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from neo4j import GraphDatabase

from graph import startup
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget, Database, Timeouts
from schema.settings import default_cache_dir

CACHE = Path(os.environ.get("COMMONGROUND_CACHE_DIR") or default_cache_dir())
# A loaded two-core machine can take a minute or more to start Neo4j.
START_WAIT_S = 240.0
READY_WAIT_S = 120.0
STOP_WAIT_S = 30.0

# The whole private database, not a shared one: it was created by this fixture.
WIPE_OWN = """
MATCH (n) WHERE NOT n:SchemaMigration
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS
"""


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: no database or setting leaks in from ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "COMMONGROUND_"))}
    env.update(COMMONGROUND_ENV="development", COMMONGROUND_CACHE_DIR=str(CACHE), **extra)
    return env


def reaching(target: ConnectionTarget, **settings: str) -> dict[str, str]:
    """A server's environment: reaching ``target`` through NEO4J_URI, as any deployment does,
    with these settings."""
    return clean_env(
        NEO4J_URI=target.uri,
        NEO4J_USER=target.user,
        NEO4J_PASSWORD=target.password,
        NEO4J_DATABASE=target.database,
        **settings,
    )


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``check`` until it holds, for at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up after {timeout_s:.0f} s waiting for {what}")


@dataclass
class OwnDatabase:
    """A local Neo4j that only these tests use, so they may kill and stop it."""

    data_dir: Path

    def info(self) -> local_neo4j.LocalDatabase:
        found = local_neo4j.status(self.data_dir)
        assert found is not None, "the private database was never started"
        return found

    @property
    def port(self) -> int:
        return int(self.info().uri.rsplit(":", 1)[1])

    def target(self) -> ConnectionTarget:
        info = self.info()
        return ConnectionTarget(info.uri, info.user, info.password(), "neo4j", local=True)

    def running(self) -> bool:
        found = local_neo4j.status(self.data_dir)
        return found is not None and found.running

    def start(self) -> None:
        """Start it again on the port it had (the state file remembers it)."""
        local_neo4j.start(self.data_dir, CACHE, wait_s=START_WAIT_S, quiet=True)

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def stop(self) -> None:
        local_neo4j.stop(self.data_dir, wait_s=STOP_WAIT_S)

    def kill(self) -> None:
        local_neo4j.kill(self.data_dir)

    def query(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Run one query with a short-lived synchronous driver (for tests that are not async)."""
        target = self.target()
        with GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver:
            records, _, _ = driver.execute_query(cypher, params, database_=target.database)
        return [record.data() for record in records]

    def wipe(self) -> None:
        """Empty this private database; the next command applies the schema again."""
        target = self.target()
        with (
            GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver,
            driver.session(database=target.database) as session,
        ):
            session.run(WIPE_OWN).consume()

    def connect(self) -> Database:
        return Database.connect(self.target(), Timeouts(retry_s=30, transaction_s=120))

    def server_env(self) -> dict[str, str]:
        """A server reaching this database through NEO4J_URI, as any deployment does."""
        return reaching(self.target())

    def cli_env(self) -> dict[str, str]:
        """CLI commands finding this database through the data directory, as `make up` does."""
        return clean_env(COMMONGROUND_DATA_DIR=str(self.data_dir))


async def fresh_graph(db: Database) -> None:
    """Empty the private database (never the shared one) and apply the schema again."""
    async with db.driver.session(database=db.name) as session:
        await (await session.run(WIPE_OWN)).consume()
    await startup.apply_schema(db)


class Server:
    """`commonground serve` in a subprocess on 127.0.0.1; its output goes to a log file."""

    def __init__(self, env: dict[str, str], workdir: Path, *, workers: int = 1) -> None:
        # These tests assert what is written, not how fast: on a loaded two-core machine a
        # burst of serialised writes can outlast the default 30 s request budget.
        self.env = {"COMMONGROUND_REQUEST_TIMEOUT": "180", **env}
        self.workdir = workdir
        self.workers = workers
        self.port = local_neo4j.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "commonground.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                ],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.wait_ready()

    def status(self, path: str) -> int | None:
        try:
            return httpx.get(self.url + path, timeout=5.0).status_code
        except httpx.TransportError:
            return None

    def wait_ready(self, timeout_s: float = READY_WAIT_S) -> None:
        """Wait for /readyz to answer 200 (the database reachable, the schema applied)."""

        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"the server exited:\n{self.log_tail()}")
            return self.status("/readyz") == 200

        try:
            wait_for(ready, timeout_s, f"{self.url}/readyz")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log_tail()}") from None

    def stop(self) -> None:
        """Ctrl-C, as a user would; killed if it does not stop within a bounded wait."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_WAIT_S)

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def graphql_body(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="session")
def own_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnDatabase]:
    """A private local Neo4j for tests that kill, stop or restart their database."""
    data_dir = tmp_path_factory.mktemp("reliability-db") / "db"
    local_neo4j.start(
        data_dir, CACHE, bolt_port=local_neo4j.free_port(), wait_s=START_WAIT_S, quiet=True
    )
    own = OwnDatabase(data_dir)
    try:
        yield own
    finally:
        try:
            local_neo4j.stop(data_dir, wait_s=STOP_WAIT_S)
        except local_neo4j.LocalNeo4jError:
            local_neo4j.kill(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def own_server(own_db: OwnDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on the private database, reaching it through NEO4J_URI."""
    server = Server(own_db.server_env(), tmp_path_factory.mktemp("own-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def shared_server(
    session_db: Database, neo4j_target: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real server on the shared test database (each test still starts from `db`'s wipe).

    It depends on ``session_db`` so the test marker is in place before the server applies
    the schema (the wipe refuses a database without it).
    """
    server = Server(reaching(neo4j_target.target), tmp_path_factory.mktemp("shared-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
