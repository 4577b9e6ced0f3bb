"""The managed Neo4j: jars from Maven Central, run as a real server on loopback.

No Docker engine and no Neo4j package exist on our machines, but Maven Central has every part.
`pom.xml` beside this file pins them; `install` lays them out like the official distribution
(`lib/` for the server and the Browser, `plugins/` for GDS) in the cache, and `start` runs the
distribution's own entry point on that classpath with a `neo4j.conf` we write.
"""

from transfergraph.server.install import install, is_installed
from transfergraph.server.layout import Paths, classpath, log_files, password, pinned_versions, server_home
from transfergraph.server.process import admin, privacy, running_pid, start, stop

__all__ = [
    "Paths", "admin", "classpath", "install", "is_installed", "log_files", "password", "pinned_versions",
    "privacy", "running_pid", "server_home", "start", "stop",
]  # fmt: skip
