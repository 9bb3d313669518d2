"""What the CLI tests share: the commands pointed at the test database."""

from __future__ import annotations

from collections.abc import Iterator

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
