"""The local database: Neo4j Community from Maven Central, run by our small Java launcher.

Jars live in one shared cache (``COMMONGROUND_CACHE_DIR``), so a second database or a later
start needs no network; each data directory holds its store, logs, generated password and a
``neo4j.json`` state file that every command reads to find the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

NEO4J_VERSION = "5.26.30"
LAUNCHER_CLASS = "CommonGroundNeo4j"
LAUNCHER_SOURCE = Path(__file__).with_name(f"{LAUNCHER_CLASS}.java")
DEFAULT_BOLT_PORT = 7687
DEFAULT_HEAP = "512m"
DEFAULT_PAGECACHE = "128m"
USER = "neo4j"

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

POM_TEMPLATE = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>commonground.local</groupId>
  <artifactId>neo4j-provisioning</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.neo4j</groupId>
      <artifactId>neo4j</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


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


def _state_file(data_dir: Path) -> Path:
    return data_dir / "neo4j.json"


def _password_file(data_dir: Path) -> Path:
    return data_dir / "password"


def _log_file(data_dir: Path) -> Path:
    return data_dir / "logs" / "launcher.log"


def install_dir(cache_dir: Path, version: str = NEO4J_VERSION) -> Path:
    return cache_dir / f"neo4j-{version}"


def java_version(java: str) -> int:
    """The major version of a ``java`` binary (``java -version`` prints to stderr)."""
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise LocalNeo4jError(f"could not read the version of {java}; install a JDK 17 or newer")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java() -> str:
    """A java binary of version 17 or newer: $JAVA_HOME first, then the PATH."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    if not candidates:
        raise LocalNeo4jError("no Java found: install a JDK 17 or newer (e.g. openjdk-17-jdk)")
    for java in candidates:
        if Path(java).exists() and java_version(java) >= 17:
            return java
    raise LocalNeo4jError(
        f"Java {java_version(candidates[0])} is too old: Neo4j 5.26 needs Java 17 or newer "
        "(set JAVA_HOME to a JDK 17+)"
    )


def _javac_for(java: str) -> str:
    javac = Path(java).with_name("javac")
    if javac.exists():
        return str(javac)
    found = shutil.which("javac")
    if not found:
        raise LocalNeo4jError("no javac found: install a full JDK 17 or newer, not just a JRE")
    return found


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One provisioning at a time, across processes (parallel test runs share the cache)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def launcher_dir(target: Path) -> Path:
    """Where the launcher is compiled: one folder per version of its source."""
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes()).hexdigest()[:12]
    return target / f"launcher-{digest}"


def provision(cache_dir: Path, version: str = NEO4J_VERSION, *, quiet: bool = False) -> Path:
    """Download Neo4j's jars with Maven (once) and compile the launcher; return the install dir.

    Idempotent and offline once done: a ``.complete`` marker is written after the jars.
    """
    target = install_dir(cache_dir, version)
    launcher_class = launcher_dir(target) / f"{LAUNCHER_CLASS}.class"
    if (target / ".complete").exists() and launcher_class.exists():
        return target
    java = find_java()
    mvn = shutil.which("mvn")
    if not mvn:
        raise LocalNeo4jError(
            "no mvn found: install Maven (e.g. apt-get install maven), or set NEO4J_URI "
            "to use a Neo4j you already run"
        )
    with _exclusive(cache_dir / f".neo4j-{version}.lock"):
        if (target / ".complete").exists() and launcher_class.exists():
            return target
        lib = target / "lib"
        if not (target / ".complete").exists():
            _download(mvn, lib, version, quiet)
            (target / ".complete").write_text(version + "\n")
        classes = launcher_dir(target)
        classes.mkdir(exist_ok=True)
        compiled = subprocess.run(
            [_javac_for(java), "-cp", str(lib / "*"), "-d", str(classes), str(LAUNCHER_SOURCE)],
            capture_output=True,
            text=True,
            check=False,
        )
        if compiled.returncode != 0:
            raise LocalNeo4jError(f"could not compile the launcher: {compiled.stderr.strip()}")
    return target


def _download(mvn: str, lib: Path, version: str, quiet: bool) -> None:
    if lib.exists():
        shutil.rmtree(lib)  # a half-finished earlier attempt: start over
    lib.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="commonground-pom-") as work:
        (Path(work) / "pom.xml").write_text(POM_TEMPLATE.format(version=version))
        command = [
            mvn,
            "-B",
            "-q" if quiet else "-ntp",
            "-f",
            str(Path(work) / "pom.xml"),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={lib}",
            "-DincludeScope=runtime",
        ]
        result = subprocess.run(command, capture_output=quiet, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stdout or "")[-2000:] if quiet else ""
            raise LocalNeo4jError(
                f"mvn could not download org.neo4j:neo4j:{version} (exit {result.returncode})"
                f"; check Maven's access to Maven Central. {detail}".strip()
            )


def _pid_alive(pid: int | None) -> bool:
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


def _port_free(port: int) -> bool:
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


def _read_state(data_dir: Path) -> dict[str, object] | None:
    try:
        loaded = json.loads(_state_file(data_dir).read_text())
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
        running=_pid_alive(pid),
        uri=str(state["uri"]),
        user=USER,
        password_file=str(_password_file(data_dir).resolve()),
        version=str(state.get("version", NEO4J_VERSION)),
        pid=pid if _pid_alive(pid) else None,
        data_dir=str(data_dir.resolve()),
        log_file=str(_log_file(data_dir).resolve()),
    )


def _ensure_password(data_dir: Path) -> None:
    path = _password_file(data_dir)
    if path.exists():
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(24) + "\n")


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
    if not _port_free(port):
        raise LocalNeo4jError(f"port {port} is taken: choose another with --bolt-port")
    home = provision(cache_dir, quiet=quiet)
    java = find_java()
    _ensure_password(data_dir)
    log_file = _log_file(data_dir)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        "-cp",
        f"{launcher_dir(home)}{os.pathsep}{home / 'lib' / '*'}",
        LAUNCHER_CLASS,
        str((data_dir / "neo4j").resolve()),
        str(port),
        str(_password_file(data_dir).resolve()),
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
    uri = f"bolt://127.0.0.1:{port}"
    state = {"pid": process.pid, "uri": uri, "version": NEO4J_VERSION, "port": port}
    _state_file(data_dir).write_text(json.dumps(state, indent=2) + "\n")
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
        if not _pid_alive(current.pid):
            return True
        time.sleep(0.2)
    os.kill(current.pid, signal.SIGKILL)
    raise LocalNeo4jError(f"Neo4j did not stop within {wait_s:.0f} s and was killed")


def kill(data_dir: Path) -> None:
    """Kill -9 the local database (crash tests only)."""
    current = status(data_dir)
    if current is not None and current.pid is not None:
        os.kill(current.pid, signal.SIGKILL)
        while _pid_alive(current.pid):
            time.sleep(0.05)
