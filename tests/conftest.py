"""Test fixtures: a real Neo4j for the whole session, and a clean graph for each test.

Where the database comes from, in order: ``COMMONGROUND_TEST_NEO4J_URI`` (never
``NEO4J_URI``); testcontainers' Neo4j when a Docker engine answers; else the local launcher
on a free port in a temporary directory. The graph is wiped before each test only if it
carries the test marker, so a real database can never be wiped by accident.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, settings

from graph import startup
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget, Database, Timeouts
from schema.settings import Settings, default_cache_dir
from tests.api.apphelpers import app_client
from tests.factories import settings_for_target

# Nothing in the test process may reach a database named by the user's environment.
for _name in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
    os.environ.pop(_name, None)

settings.register_profile(
    "db",
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("pure", deadline=None, max_examples=200)

HTTPX_DEFAULT_TIMEOUT_S = 5.0  # what the shared client has always had
TEST_MARKER = "CommonGroundTestMarker"
MARKER_CHECK = "MATCH (m:CommonGroundTestMarker) RETURN count(m) AS markers"
NON_MARKER_NODES = "MATCH (n) WHERE NOT n:CommonGroundTestMarker RETURN count(n) AS nodes"
PLACE_MARKER = "CREATE (:CommonGroundTestMarker {created_at: datetime()})"
WIPE = """
MATCH (n) WHERE NOT (n:CommonGroundTestMarker OR n:SchemaMigration)
CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS
"""


@dataclass
class TestDatabase:
    __test__ = False  # a fixture's value, not a test class for pytest to collect

    target: ConnectionTarget
    local_data_dir: Path | None  # set when the fixture started the local launcher


def _docker_engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


@pytest.fixture(scope="session")
def neo4j_target() -> Iterator[TestDatabase]:
    uri = os.environ.get("COMMONGROUND_TEST_NEO4J_URI")
    if uri:
        yield TestDatabase(
            ConnectionTarget(
                uri,
                os.environ.get("COMMONGROUND_TEST_NEO4J_USER", "neo4j"),
                os.environ.get("COMMONGROUND_TEST_NEO4J_PASSWORD", ""),
                os.environ.get("COMMONGROUND_TEST_NEO4J_DATABASE", "neo4j"),
                local=False,
            ),
            None,
        )
        return
    if _docker_engine_answers():
        from testcontainers.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community") as container:
            yield TestDatabase(
                ConnectionTarget(
                    container.get_connection_url(), "neo4j", container.password, "neo4j", False
                ),
                None,
            )
        return
    data_dir = Path(tempfile.mkdtemp(prefix="commonground-test-db-"))
    cache_dir = Path(os.environ.get("COMMONGROUND_CACHE_DIR") or default_cache_dir())
    database, _ = local_neo4j.start(
        data_dir, cache_dir, bolt_port=local_neo4j.free_port(), quiet=True
    )
    try:
        yield TestDatabase(
            ConnectionTarget(database.uri, database.user, database.password(), "neo4j", True),
            data_dir,
        )
    finally:
        with contextlib.suppress(local_neo4j.LocalNeo4jError):
            local_neo4j.stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def session_db(neo4j_target: TestDatabase) -> AsyncIterator[Database]:
    db = Database.connect(neo4j_target.target, Timeouts(retry_s=15, transaction_s=120))
    async with db.driver.session(database=db.name) as session:
        markers = (await (await session.run(MARKER_CHECK)).single())["markers"]  # type: ignore[index]
        if markers == 0:
            nodes = (await (await session.run(NON_MARKER_NODES)).single())["nodes"]  # type: ignore[index]
            if nodes:
                pytest.exit(
                    f"refusing to use {neo4j_target.target.uri}: it holds {nodes} nodes and no "
                    f"{TEST_MARKER} node, so it may be a real database",
                    returncode=3,
                )
            await session.run(PLACE_MARKER)
    await startup.apply_schema(db)
    yield db
    await db.close()


async def wipe(db: Database) -> None:
    async with db.driver.session(database=db.name) as session:
        markers = (await (await session.run(MARKER_CHECK)).single())["markers"]  # type: ignore[index]
        if markers != 1:
            pytest.exit("the test database lost its test marker; refusing to wipe it", 3)
        # Wait for the last batch of the delete to commit before the test writes its data.
        await (await session.run(WIPE)).consume()
    await startup.apply_schema(db)


@pytest.fixture
async def db(session_db: Database) -> AsyncIterator[Database]:
    """The test database, wiped to an empty model (default functions only)."""
    await wipe(session_db)
    yield session_db


@pytest.fixture
def app_settings(neo4j_target: TestDatabase) -> Settings:
    return settings_for_target(neo4j_target.target)


@pytest.fixture
async def client(db: Database, app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the ASGI app, with its lifespan run and the database ready."""
    async with app_client(app_settings, db, http_timeout_s=HTTPX_DEFAULT_TIMEOUT_S) as http:
        yield http
