"""The state of one data directory: its ``neo4j.json`` state file, generated password and
launcher log, and what `db status` reports from them."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

NEO4J_VERSION = "5.26.30"  # the release we provision and run; each state file records it
USER = "neo4j"


class LocalNeo4jError(Exception):
    """A one-line, actionable reason the local database cannot start or stop."""


@dataclass(frozen=True)
class LocalDatabase:
    """What `db status --json` reports and every command uses to connect."""

    running: bool
    uri: str
    user: str
    password_file: str
    version: str
    pid: int | None
    data_dir: str
    log_file: str

    def password(self) -> str:
        return Path(self.password_file).read_text(encoding="utf-8").strip()

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def state_path(data_dir: Path) -> Path:
    return data_dir / "neo4j.json"


def password_path(data_dir: Path) -> Path:
    return data_dir / "password"


def log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / "launcher.log"


def pid_alive(pid: int | None) -> bool:
    """Whether the recorded process still runs (and still holds its port and store)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by us) counts as gone, but only once its other
    # threads have exited too: right after a kill -9 the JVM's main thread is already a
    # zombie while dozens of threads still hold the Bolt port and the store lock, and a
    # restart at that moment fails with "port taken".
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return len(os.listdir(f"/proc/{pid}/task")) > 1
    return True


def write_state(data_dir: Path, *, pid: int, port: int) -> str:
    """Record a just-launched database; return its Bolt URI."""
    uri = f"bolt://127.0.0.1:{port}"
    state = {"pid": pid, "uri": uri, "version": NEO4J_VERSION, "port": port}
    state_path(data_dir).write_text(json.dumps(state, indent=2) + "\n")
    return uri


def _read_state(data_dir: Path) -> dict[str, object] | None:
    try:
        loaded = json.loads(state_path(data_dir).read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def status(data_dir: Path) -> LocalDatabase | None:
    """The local database recorded in ``data_dir``, or None if it was never started."""
    state = _read_state(data_dir)
    if state is None:
        return None
    pid = state.get("pid")
    pid = pid if isinstance(pid, int) else None
    return LocalDatabase(
        running=pid_alive(pid),
        uri=str(state["uri"]),
        user=USER,
        password_file=str(password_path(data_dir).resolve()),
        version=str(state.get("version", NEO4J_VERSION)),
        pid=pid if pid_alive(pid) else None,
        data_dir=str(data_dir.resolve()),
        log_file=str(log_path(data_dir).resolve()),
    )


def ensure_password(data_dir: Path) -> None:
    path = password_path(data_dir)
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(24) + "\n")
