"""The managed server's process: start (first start sets the password), stop, is it running."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from transfergraph.config import Settings
from transfergraph.errors import TGError
from transfergraph.server.conf import JVM_FLAGS, conf_text
from transfergraph.server.install import install, is_installed
from transfergraph.server.layout import Paths, classpath

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_ENTRY_POINT = "org.neo4j.server.startup.Neo4jAdminCommand"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 90.0


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


def _java_env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "NEO4J_HOME": str(settings.server_dir), "NEO4J_CONF": str(Paths.of(settings).conf)}


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
    (paths.conf / "neo4j.conf").write_text(conf_text(settings, paths))
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
