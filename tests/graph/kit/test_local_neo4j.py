"""The local database: start, stop and restart keep the data; clear errors otherwise.

These start their own Neo4j in a temporary directory (the jars come from the shared cache),
so they are slower than the rest of the suite.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from neo4j import GraphDatabase

from api.app import create_app
from graph.kit import local_neo4j
from graph.kit.connection import ConnectionTarget
from schema.settings import default_cache_dir
from tests.factories import settings_for_target

pytestmark = pytest.mark.slow
CACHE = Path(os.environ.get("COMMONGROUND_CACHE_DIR") or default_cache_dir())


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "db"
    try:
        local_neo4j.stop(tmp_path / "db")
    except local_neo4j.LocalNeo4jError:
        local_neo4j.kill(tmp_path / "db")


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COMMONGROUND_DATA_DIR": str(data_dir),
        "COMMONGROUND_CACHE_DIR": str(CACHE),
    }
    return subprocess.run(
        [sys.executable, "-m", "commonground.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def count_nodes(database: local_neo4j.LocalDatabase) -> int:
    with GraphDatabase.driver(database.uri, auth=(database.user, database.password())) as driver:
        records, _, _ = driver.execute_query("MATCH (n:Probe) RETURN count(n) AS n")
        return int(records[0]["n"])


def test_start_stop_restart_keeps_the_data(data_dir: Path) -> None:
    port = local_neo4j.free_port()
    started = run_cli("db", "start", "--bolt-port", str(port), data_dir=data_dir)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"bolt://127.0.0.1:{port}"

    again = run_cli("db", "start", data_dir=data_dir)
    assert again.returncode == 0 and "already running" in again.stderr

    status = json.loads(run_cli("db", "status", "--json", data_dir=data_dir).stdout)
    assert status["running"] is True and status["uri"] == f"bolt://127.0.0.1:{port}"
    assert status["version"].startswith("5.26")
    password_file = Path(status["password_file"])
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600

    database = local_neo4j.status(data_dir)
    assert database is not None
    with GraphDatabase.driver(database.uri, auth=(database.user, database.password())) as driver:
        driver.execute_query("CREATE (:Probe {at: datetime()})")
    with pytest.raises(Exception, match="(?i)unauthorized|authentication"):
        with GraphDatabase.driver(database.uri, auth=("neo4j", "neo4j")) as driver:
            driver.verify_connectivity()

    stopped = run_cli("db", "stop", data_dir=data_dir)
    assert stopped.returncode == 0 and "stopped" in stopped.stderr.lower()
    down = json.loads(run_cli("db", "status", "--json", data_dir=data_dir).stdout)
    assert down["running"] is False

    restarted = run_cli("db", "start", data_dir=data_dir)
    assert restarted.returncode == 0, restarted.stderr
    database = local_neo4j.status(data_dir)
    assert database is not None and count_nodes(database) == 1


def test_port_taken_is_a_one_line_error(data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("db", "start", "--bolt-port", str(port), data_dir=data_dir)
    assert result.returncode == 1
    assert f"port {port} is taken" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_store_locked_by_another_process_is_a_clear_error(data_dir: Path, tmp_path: Path) -> None:
    local_neo4j.start(data_dir, CACHE, bolt_port=local_neo4j.free_port(), quiet=True)
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "neo4j").symlink_to((data_dir / "neo4j").resolve())
    try:
        with pytest.raises(local_neo4j.LocalNeo4jError, match="store is locked"):
            local_neo4j.start(twin, CACHE, bolt_port=local_neo4j.free_port(), quiet=True)
    finally:
        if local_neo4j.status(twin) and local_neo4j.status(twin).running:  # type: ignore[union-attr]
            local_neo4j.stop(twin)


def test_java_too_old_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_home = tmp_path / "jdk11"
    (fake_home / "bin").mkdir(parents=True)
    fake_java = fake_home / "bin" / "java"
    fake_java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake_java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(fake_home))
    monkeypatch.setenv("PATH", str(fake_home / "bin"))
    with pytest.raises(local_neo4j.LocalNeo4jError, match="Java 11 is too old"):
        local_neo4j.find_java()


async def wait_until_ready(http: httpx.AsyncClient, budget_s: float = 180.0) -> bool:
    """Poll /readyz (bounded): a fresh store applies its schema first, slower on a busy box."""
    deadline = asyncio.get_running_loop().time() + budget_s
    while asyncio.get_running_loop().time() < deadline:
        if (await http.get("/readyz")).status_code == 200:
            return True
        await asyncio.sleep(0.25)
    return False


async def test_readyz_follows_the_database_down_and_back_up(data_dir: Path) -> None:
    database, _ = local_neo4j.start(data_dir, CACHE, bolt_port=local_neo4j.free_port(), quiet=True)
    target = ConnectionTarget(database.uri, database.user, database.password(), "neo4j", True)
    app = create_app(settings_for_target(target))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            assert await wait_until_ready(http), "the API never became ready"
            await asyncio.to_thread(local_neo4j.stop, data_dir)
            down = await http.get("/readyz")
            assert down.status_code == 503 and down.headers["retry-after"]
            assert (await http.get("/healthz")).status_code == 200
            await asyncio.to_thread(local_neo4j.start, data_dir, CACHE, quiet=True)
            assert await wait_until_ready(http), "the API did not recover without a restart"
