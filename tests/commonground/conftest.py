"""What the CLI tests share: the commands pointed at the test database, in process or as a
user runs them (a separate process in a terminal of a given width)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from schema.settings import get_settings
from tests.conftest import TestDatabase


@pytest.fixture
def cli_env(neo4j_target: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the CLI at the test database."""
    target = neo4j_target.target
    monkeypatch.setenv("NEO4J_URI", target.uri)
    monkeypatch.setenv("NEO4J_USER", target.user)
    monkeypatch.setenv("NEO4J_PASSWORD", target.password)
    monkeypatch.setenv("NEO4J_DATABASE", target.database)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """``commonground ARGS`` in its own process, as in a terminal ``columns`` wide (with
    ``cli_env``, against the test database). rich reads the width from COLUMNS."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "commonground.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
