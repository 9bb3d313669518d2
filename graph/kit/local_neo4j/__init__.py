"""The local database: Neo4j Community from Maven Central, run by our small Java launcher.

Jars live in one shared cache (``COMMONGROUND_CACHE_DIR``), so a second database or a later
start needs no network; each data directory holds its store, logs, generated password and a
``neo4j.json`` state file that every command reads to find the database. ``provisioning`` gets
the jars, ``process`` starts and stops the JVM, ``state`` reads what a data directory holds.
"""

from graph.kit.local_neo4j.process import (
    DEFAULT_BOLT_PORT,
    DEFAULT_HEAP,
    DEFAULT_PAGECACHE,
    free_port,
    kill,
    port_free,
    start,
    stop,
)
from graph.kit.local_neo4j.provisioning import find_java, install_dir, java_version, provision
from graph.kit.local_neo4j.state import (
    NEO4J_VERSION,
    USER,
    LocalDatabase,
    LocalNeo4jError,
    status,
)

__all__ = [
    "DEFAULT_BOLT_PORT",
    "DEFAULT_HEAP",
    "DEFAULT_PAGECACHE",
    "NEO4J_VERSION",
    "USER",
    "LocalDatabase",
    "LocalNeo4jError",
    "find_java",
    "free_port",
    "install_dir",
    "java_version",
    "kill",
    "port_free",
    "provision",
    "start",
    "status",
    "stop",
]
