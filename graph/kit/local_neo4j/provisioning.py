"""Neo4j's jars from Maven Central into the shared cache (once), and our launcher compiled
beside them; later starts need no network."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from graph.kit.local_neo4j.state import NEO4J_VERSION, LocalNeo4jError

LAUNCHER_CLASS = "CommonGroundNeo4j"
LAUNCHER_SOURCE = Path(__file__).with_name(f"{LAUNCHER_CLASS}.java")

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
