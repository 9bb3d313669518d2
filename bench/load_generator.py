"""Node.js and the packages in ``bench/peer``: the peer (``@neo4j/graphql``) and the load
generator (autocannon, ``bench/peer/load.mjs``) that benchmarks load a server with.

Installed by the benchmarks that need them (``npm ci``), never by ``make test``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import harness

PEER_DIR = harness.ROOT / "bench" / "peer"
LOAD = PEER_DIR / "load.mjs"


def install_peer() -> None:
    """``npm ci`` in ``bench/peer`` unless every package the benchmark runs is there (a
    checkout installed before the load generator was added lacks it)."""
    modules = PEER_DIR / "node_modules"
    if all((modules / name).is_dir() for name in ("@neo4j/graphql", "autocannon")):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to install the peer (bench/peer/package.json)")
    print("installing @neo4j/graphql, Apollo Server and autocannon (npm ci)", file=sys.stderr)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)


def node_command() -> str:
    """The Node.js the peer and its load generator run on."""
    return shutil.which("node") or "node"


async def run_load(url: str, spec: dict[str, Any]) -> dict[str, Any]:
    """``load.mjs`` against ``url`` with ``spec`` (see the script for its fields): what it
    measured, from the one JSON line it prints."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "spec.json"
        spec_file.write_text(json.dumps(spec))
        process = await asyncio.create_subprocess_exec(
            node_command(), str(LOAD), url, str(spec_file), cwd=PEER_DIR, stdout=subprocess.PIPE
        )
        out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed on {url} ({process.returncode})")
    measured: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return measured
