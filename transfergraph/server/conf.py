"""The `neo4j.conf` and JVM flags of the managed server: loopback only, auth on, GDS unrestricted."""

from __future__ import annotations

from transfergraph.config import Settings
from transfergraph.server.layout import Paths, server_home

# The official launcher's JVM flags (bin/neo4j, 5.26) that matter outside a container.
JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
]


def conf_text(settings: Settings, paths: Paths) -> str:
    home = server_home(settings)
    return "\n".join(
        [
            "# Written by `tg db start` on every start; edit the TG_* settings, not this file.",
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{settings.bolt_port}",
            f"server.http.listen_address=127.0.0.1:{settings.http_port}",
            # Advertised = what the Browser's discovery tells it to connect to.
            f"server.bolt.advertised_address=127.0.0.1:{settings.bolt_port}",
            f"server.http.advertised_address=127.0.0.1:{settings.http_port}",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=true",
            "dbms.security.procedures.unrestricted=gds.*",
            "dbms.usage_report.enabled=false",
            f"server.memory.pagecache.size={settings.pagecache}",
            f"server.directories.data={paths.data}",
            f"server.directories.logs={paths.logs}",
            f"server.directories.run={paths.run}",
            f"server.directories.plugins={home / 'plugins'}",
            f"server.directories.import={settings.server_dir / 'import'}",
            "",
        ]
    )
