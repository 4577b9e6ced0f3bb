"""The managed Neo4j: jars from Maven Central, run as a real server on loopback.

No Docker engine and no Neo4j package exist on our machines, but Maven Central has every part.
`pom.xml` beside this file pins them; `install` lays them out like the official distribution
(`lib/` for the server and the Browser, `plugins/` for GDS) in the cache, and `start` runs the
distribution's own entry point on that classpath with a `neo4j.conf` we write.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from transfergraph.config import Settings
from transfergraph.errors import TGError

POM = Path(__file__).with_name("pom.xml")
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_ENTRY_POINT = "org.neo4j.server.startup.Neo4jAdminCommand"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 90.0

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


def pinned_versions() -> dict[str, str]:
    """neo4j / gds / browser versions, read from the pom so that it is the one place they are pinned."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    props = ET.parse(POM).getroot().find("m:properties", ns)
    assert props is not None
    return {el.tag.split("}")[1].removesuffix(".version"): (el.text or "") for el in props}


def server_home(settings: Settings) -> Path:
    v = pinned_versions()
    return settings.cache_dir / f"neo4j-{v['neo4j']}-gds-{v['gds']}"


@dataclass(frozen=True)
class Paths:
    conf: Path
    data: Path
    logs: Path
    run: Path
    pid: Path
    password: Path

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        d = settings.server_dir
        return cls(d / "conf", d / "data", d / "logs", d / "run", d / "run" / "tg-neo4j.pid", d / "password")


# ---------------------------------------------------------------------------------------------- install


def _java_major() -> int:
    java = shutil.which("java")
    if java is None:
        raise TGError("java not found on PATH: the managed Neo4j needs Java 17 or newer")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        raise TGError(f"cannot read the Java version from `java -version`: {out.strip()[:120]}")
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major


def is_installed(settings: Settings) -> bool:
    return (server_home(settings) / ".complete").exists()


def install(settings: Settings, offline: bool = False, say: Callable[[str], None] = print) -> Path:
    """Resolve the pinned jars with Maven into the cache. Idempotent; `offline` uses ~/.m2 only."""
    home = server_home(settings)
    if is_installed(settings):
        say(f"Neo4j server already installed in {home}")
        return home
    if _java_major() < 17:
        raise TGError("the managed Neo4j 5.26 needs Java 17 or newer (java -version)")
    mvn = shutil.which("mvn")
    if mvn is None:
        raise TGError("mvn not found on PATH: `tg db install` resolves the server's jars with Maven")
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    v = pinned_versions()
    say(f"Resolving Neo4j {v['neo4j']} + GDS {v['gds']} + Browser {v['browser']} from Maven Central ...")
    with tempfile.TemporaryDirectory(dir=settings.cache_dir, prefix=".install-") as tmp:
        work = Path(tmp)
        shutil.copy(POM, work / "pom.xml")  # Maven may write next to the pom: never into site-packages
        cmd = [
            mvn,
            "-B",
            "-q",
            "-P",
            "server,gds",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={work / 'all'}",
            "-DincludeScope=runtime",
            "-Dmdep.prependGroupId=true",
        ]
        if offline:
            cmd.insert(1, "-o")
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            last = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln][:1]
            raise TGError(f"mvn could not resolve the server's jars: {last[0] if last else proc.returncode}")
        staged = work / "home"
        (staged / "lib").mkdir(parents=True)
        (staged / "plugins").mkdir()
        for jar in sorted((work / "all").glob("*.jar")):
            # GDS is a plugin (Neo4j scans plugins/ for procedures); everything else is the server.
            dest = "plugins" if jar.name.startswith("org.neo4j.gds.") else "lib"
            jar.rename(staged / dest / jar.name)
        (staged / ".complete").write_text(f"neo4j {v['neo4j']}\ngds {v['gds']}\nbrowser {v['browser']}\n")
        if home.exists():  # a crash left a partial install: replace it
            shutil.rmtree(home)
        staged.rename(home)
    say(f"Installed into {home}")
    return home


# ---------------------------------------------------------------------------------------------- process


def running_pid(settings: Settings) -> int | None:
    """Pid of this server dir's Neo4j if it is alive (a stale pid file from a crash reads as None)."""
    pid_file = Paths.of(settings).pid
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    marker = f"--config-dir={Paths.of(settings).conf}".encode()
    return pid if ENTRY_POINT.encode() in cmdline and marker in cmdline else None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _conf_text(settings: Settings, paths: Paths) -> str:
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


def _java_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "NEO4J_HOME": str(settings.server_dir), "NEO4J_CONF": str(Paths.of(settings).conf)}


def classpath(settings: Settings) -> str:
    home = server_home(settings)
    return f"{home / 'lib'}/*:{home / 'plugins'}/*"


def admin(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `neo4j-admin ARGS` of the pinned distribution (its own entry point, our conf)."""
    cmd = ["java", "-Xmx1g", "-cp", classpath(settings), ADMIN_ENTRY_POINT, *args]
    return subprocess.run(cmd, env=_java_env(settings), capture_output=True, text=True)


def _first_start(settings: Settings, paths: Paths) -> None:
    """A random password, set before the first start and kept in a file only the user can read."""
    if paths.password.exists() and (paths.data / "dbms" / "auth.ini").exists():
        return
    password = secrets.token_urlsafe(18)
    proc = admin(settings, "dbms", "set-initial-password", password)
    if proc.returncode != 0:
        raise TGError(
            f"neo4j-admin set-initial-password failed: {(proc.stderr or proc.stdout).strip()[:200]}"
        )
    fd = os.open(paths.password, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    os.chmod(paths.password, 0o600)


def start(settings: Settings, wait_ready: Callable[[], bool], say: Callable[[str], None] = print) -> bool:
    """Start the managed server and wait until Bolt answers. False if it was already running."""
    if settings.external:
        raise TGError("NEO4J_URI is set: `tg db start` manages only the local server (unset NEO4J_URI)")
    if running_pid(settings) is not None:
        say(f"Neo4j is already running at {settings.bolt_uri}")
        return False
    if not is_installed(settings):
        install(settings, say=say)
    for name, port in (("Bolt", settings.bolt_port), ("HTTP", settings.http_port)):
        if not _port_free(port):
            var = "TG_BOLT_PORT" if name == "Bolt" else "TG_HTTP_PORT"
            raise TGError(
                f"port {port} ({name}) is already in use on 127.0.0.1: stop what holds it or set {var}"
            )
    paths = Paths.of(settings)
    for d in (paths.conf, paths.data, paths.logs, paths.run, settings.server_dir / "import"):
        d.mkdir(parents=True, exist_ok=True)
    (paths.conf / "neo4j.conf").write_text(_conf_text(settings, paths))
    _first_start(settings, paths)
    cmd = [
        "java",
        f"-Xms{settings.heap}",
        f"-Xmx{settings.heap}",
        *JVM_FLAGS,
        "-cp",
        classpath(settings),
        ENTRY_POINT,
        f"--home-dir={settings.server_dir}",
        f"--config-dir={paths.conf}",
    ]
    with open(paths.logs / "console.log", "ab") as console:
        proc = subprocess.Popen(
            cmd,
            env=_java_env(settings),
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    paths.pid.write_text(f"{proc.pid}\n")
    say(f"Starting Neo4j (pid {proc.pid}) ...")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            paths.pid.unlink(missing_ok=True)
            raise TGError(f"Neo4j exited with code {proc.returncode} while starting: {_last_error(paths)}")
        if wait_ready():
            say(f"Neo4j is running: {settings.bolt_uri}, Browser {settings.browser_url}")
            return True
        time.sleep(0.5)
    stop(settings, say=lambda _: None)
    raise TGError(
        f"Neo4j did not answer on {settings.bolt_uri} within {START_TIMEOUT_S:.0f}s; see `tg db logs`"
    )


def _last_error(paths: Paths) -> str:
    for name in ("console.log", "neo4j.log"):
        try:
            lines = (paths.logs / name).read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in reversed(lines):
            if "ERROR" in line or "Exception" in line:
                return line.strip()[:300]
    return "see `tg db logs`"


def stop(settings: Settings, say: Callable[[str], None] = print) -> bool:
    """SIGTERM (Neo4j shuts down cleanly on it), SIGKILL after a grace period. False if not running."""
    if settings.external:
        raise TGError("NEO4J_URI is set: `tg db stop` manages only the local server (unset NEO4J_URI)")
    pid = running_pid(settings)
    if pid is None:
        Paths.of(settings).pid.unlink(missing_ok=True)
        say("Neo4j is not running")
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        _reap(pid)
        time.sleep(0.2)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)
        _reap(pid)
    Paths.of(settings).pid.unlink(missing_ok=True)
    say("Neo4j stopped")
    return True


def _reap(pid: int) -> None:
    """Collect the child if we started it in this process (tests do): a zombie would look alive."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def password(settings: Settings) -> str | None:
    if settings.password is not None:
        return settings.password
    try:
        return Paths.of(settings).password.read_text().strip()
    except FileNotFoundError:
        return None


def log_files(settings: Settings) -> list[Path]:
    logs = Paths.of(settings).logs
    return [p for p in (logs / "neo4j.log", logs / "console.log", logs / "debug.log") if p.exists()]
