"""Start, stop and kill the local Neo4j: a background JVM running our launcher, whose
``READY`` or ``FATAL`` line in the log says how the start went."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from graph.kit.local_neo4j.provisioning import LAUNCHER_CLASS, find_java, launcher_dir, provision
from graph.kit.local_neo4j.state import (
    LocalDatabase,
    LocalNeo4jError,
    ensure_password,
    log_path,
    password_path,
    pid_alive,
    status,
    write_state,
)

DEFAULT_BOLT_PORT = 7687
DEFAULT_HEAP = "512m"
DEFAULT_PAGECACHE = "128m"

# The flags Neo4j's own launcher passes on Java 17 (its default server.jvm.additional).
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
)


def port_free(port: int) -> bool:
    """Whether a new listener could bind the port on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _explain_fatal(line: str, port: int) -> str:
    text = line.removeprefix("FATAL ").strip()
    lowered = text.lower()
    if "lock" in lowered and ("store" in lowered or "file" in lowered):
        return (
            "the store is locked by another process: another Neo4j uses this data directory "
            "(stop it with `commonground db stop`, or choose another --data-dir)"
        )
    if "address already in use" in lowered or "bindexception" in lowered:
        return f"port {port} is taken: choose another with --bolt-port"
    return f"Neo4j failed to start: {text[:400]}"


def start(
    data_dir: Path,
    cache_dir: Path,
    *,
    bolt_port: int | None = None,
    heap: str = DEFAULT_HEAP,
    pagecache: str = DEFAULT_PAGECACHE,
    transaction_timeout_s: int = 60,
    wait_s: float = 180.0,
    quiet: bool = False,
) -> tuple[LocalDatabase, bool]:
    """Start the local database in the background; return it and whether it was already up."""
    data_dir.mkdir(parents=True, exist_ok=True)
    current = status(data_dir)
    if current is not None and current.running:
        return current, True
    previous_port = None
    if current is not None:
        previous_port = int(current.uri.rsplit(":", 1)[1])
    port = bolt_port or previous_port or DEFAULT_BOLT_PORT
    if not port_free(port):
        raise LocalNeo4jError(f"port {port} is taken: choose another with --bolt-port")
    home = provision(cache_dir, quiet=quiet)
    java = find_java()
    ensure_password(data_dir)
    log_file = log_path(data_dir)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        "-cp",
        # A database's own plugins folder joins the class path too: a plugin's extensions
        # load from the class path, not from the plugins folder (the product needs none;
        # the GraphQL peer benchmark puts APOC there for its peer).
        os.pathsep.join(
            (
                str(launcher_dir(home)),
                str(home / "lib" / "*"),
                str((data_dir / "neo4j" / "plugins").resolve() / "*"),
            )
        ),
        LAUNCHER_CLASS,
        str((data_dir / "neo4j").resolve()),
        str(port),
        str(password_path(data_dir).resolve()),
        pagecache,
        str(transaction_timeout_s),
    ]
    offset = log_file.stat().st_size if log_file.exists() else 0
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the CLI; Ctrl-C in a shell does not reach it
        )
    write_state(data_dir, pid=process.pid, port=port)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with open(log_file, "rb") as log:
            log.seek(offset)
            fresh = log.read().decode("utf-8", "replace")
        for line in fresh.splitlines():
            if line.startswith("READY"):
                started = status(data_dir)
                assert started is not None
                return started, False
            if line.startswith("FATAL"):
                process.wait(timeout=30)
                raise LocalNeo4jError(_explain_fatal(line, port))
        if process.poll() is not None:
            raise LocalNeo4jError(
                f"Neo4j exited during start-up (code {process.returncode}); see {log_file}"
            )
        time.sleep(0.25)
    process.terminate()
    raise LocalNeo4jError(f"Neo4j did not become ready within {wait_s:.0f} s; see {log_file}")


def stop(data_dir: Path, *, wait_s: float = 90.0) -> bool:
    """Stop the local database cleanly (data kept); return whether it was running."""
    current = status(data_dir)
    if current is None or not current.running or current.pid is None:
        return False
    os.kill(current.pid, signal.SIGTERM)  # the launcher's shutdown hook closes the store
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if not pid_alive(current.pid):
            return True
        time.sleep(0.2)
    os.kill(current.pid, signal.SIGKILL)
    raise LocalNeo4jError(f"Neo4j did not stop within {wait_s:.0f} s and was killed")


def kill(data_dir: Path) -> None:
    """Kill -9 the local database (crash tests only)."""
    current = status(data_dir)
    if current is not None and current.pid is not None:
        os.kill(current.pid, signal.SIGKILL)
        while pid_alive(current.pid):
            time.sleep(0.05)
