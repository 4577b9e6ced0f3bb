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
from transfergraph.server.probe import NothingListens, identify

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_ENTRY_POINT = "org.neo4j.server.startup.Neo4jAdminCommand"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 90.0
PRIVATE_UMASK = 0o077  # for us and the JVM: the server folder is 0700, every file in it 0600


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


# Never handed to the JVM: a password in a child's environment is readable in /proc/PID/environ.
SECRET_ENV = ("NEO4J_PASSWORD", "NEO4J_AUTH")


def _java_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    return {**env, "NEO4J_HOME": str(settings.server_dir), "NEO4J_CONF": str(Paths.of(settings).conf)}


def admin(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `neo4j-admin ARGS` of the pinned distribution (its own entry point, our conf)."""
    cmd = ["java", "-Xmx1g", "-cp", classpath(settings), ADMIN_ENTRY_POINT, *args]
    return subprocess.run(cmd, env=_java_env(settings), capture_output=True, text=True, umask=PRIVATE_UMASK)


def write_private(path: Path, text: str) -> None:
    """Write a file only the user can read (0600 from the start, not chmod-ed after)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def make_private(settings: Settings) -> None:
    """The server folder 0700 and everything in it 0700 (folders) / 0600 (files), also for a folder
    an older version left world-readable. Run while the server is stopped."""
    root = settings.server_dir
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath, d)
            if not p.is_symlink():
                os.chmod(p, 0o700)
        for f in filenames:
            p = Path(dirpath, f)
            if not p.is_symlink() and p.stat().st_mode & 0o077:
                os.chmod(p, p.stat().st_mode & 0o700)


def privacy(settings: Settings) -> dict[str, object]:
    """What `tg db status` says about the folder: its mode, and files or folders others can reach."""
    root = settings.server_dir
    mode = root.stat().st_mode & 0o777
    exposed = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath, name)
            if not p.is_symlink() and p.stat().st_mode & 0o077:
                exposed.append(str(p.relative_to(root)))
    return {
        "server_dir_mode": f"{mode:04o}",
        "private": mode & 0o077 == 0 and not exposed,
        "readable_by_others": len(exposed),
    }


def new_password() -> str:
    """144 random bits in hex: nothing neo4j-admin could read as an option. A leading '-' (1 draw
    in 64 of `token_urlsafe`) made it fail with "Missing required parameter: '<password>'"."""
    return secrets.token_hex(18)


def _first_start(settings: Settings, paths: Paths) -> None:
    """A random password, set before the first start and kept in a file only the user can read.

    neo4j-admin reads it from an `@file` argument (picocli expands it), never from its command line
    or environment, where any local user could read it in /proc while it runs: the file is 0600
    in the 0700 server folder and is deleted as soon as neo4j-admin exits.
    """
    if paths.password.exists() and (paths.data / "dbms" / "auth.ini").exists():
        return
    password = new_password()
    argfile = paths.run / f".initial-password-{secrets.token_hex(4)}"
    try:
        write_private(argfile, password + "\n")
        proc = admin(settings, "dbms", "set-initial-password", f"@{argfile}")
    finally:
        argfile.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise TGError(
            f"neo4j-admin set-initial-password failed: {(proc.stderr or proc.stdout).strip()[:200]}"
        )
    write_private(paths.password, password + "\n")


def _holder(port: int) -> str:
    """' by WHAT' for a port in use (an HTTP server, a listener that does not answer, Neo4j ...)."""
    try:
        found = identify("127.0.0.1", port)
    except NothingListens:
        return ""
    return f" by {found}" if found else " by a Bolt server (another Neo4j?)"


def _prepare(settings: Settings, paths: Paths) -> None:
    """The folder's layout and conf, private; a read-only or full disk is one line, not a traceback."""
    try:
        make_private(settings)
        for d in (paths.conf, paths.data, paths.logs, paths.run, settings.server_dir / "import"):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_private(paths.conf / "neo4j.conf", conf_text(settings, paths))
    except OSError as e:
        where = e.filename or settings.server_dir
        raise TGError(f"cannot write the server folder ({where}): {e.strerror or e}") from None


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
                f"port {port} ({name}) is already in use on 127.0.0.1{_holder(port)}: "
                f"stop what holds it or set {var}"
            )
    paths = Paths.of(settings)
    _prepare(settings, paths)
    try:
        _first_start(settings, paths)
        console = os.open(paths.logs / "console.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as e:
        raise TGError(
            f"cannot write the server folder ({e.filename or settings.server_dir}): {e.strerror}"
        ) from None
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
    try:
        proc = subprocess.Popen(
            cmd,
            env=_java_env(settings),
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=PRIVATE_UMASK,  # the store, auth.ini and logs Neo4j writes: 0600
        )
    finally:
        os.close(console)
    write_private(paths.pid, f"{proc.pid}\n")
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
