"""docker-compose.yml is valid (checked by the docker client; no engine is needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_wires_neo4j_and_the_api() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    neo4j = compose["services"]["neo4j"]
    api = compose["services"]["api"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert "healthcheck" in neo4j
    assert api["build"] == "."
    assert api["environment"]["NEO4J_URI"] == "bolt://neo4j:7687"
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert (ROOT / "Dockerfile").exists()


def _compose_command() -> list[str] | None:
    """`docker compose` (v2 plugin) when it answers, else Debian's `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client on this machine")
def test_docker_compose_config_passes() -> None:
    command = _compose_command()
    assert command is not None, "a docker client is here but no compose: install docker-compose"
    result = subprocess.run(
        [*command, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
