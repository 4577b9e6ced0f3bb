"""A second managed server's life cycle, its secrets and files, and the faults around it: started
by one process, it outlives it (start again, status, stop, status when down); the password is never
in a process's arguments or environment, the folder is 0700 and its files 0600, a port held by
something that is not Bolt fails in seconds naming it, a read-only or full folder is one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from transfergraph.config import Settings
from transfergraph.server.probe import identify

from support import SecondServer, cli

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def fresh(second_server: SecondServer) -> tuple[dict[str, str], list[bytes]]:
    """The session's second managed server (tests/conftest.py): first-started by a `tg db start`
    process while every /proc cmdline and environ was recorded; its stop and the status of a stopped
    server are checked when the session ends."""
    return second_server.env, second_server.seen


def test_the_server_outlives_the_process_that_started_it(fresh: tuple[dict[str, str], list[bytes]]) -> None:
    """Started by a `tg db start` process that has exited: found running (pid file), not started twice."""
    env, _ = fresh
    again = cli("db", "start", env=env)
    assert again.returncode == 0 and "already running" in again.stdout
    up = cli("db", "status", "-f", "json", env=env)
    assert up.returncode == 0 and json.loads(up.stdout)["running"] is True


def test_password_never_in_any_process_arguments_or_environment(
    fresh: tuple[dict[str, str], list[bytes]],
) -> None:
    env, blobs = fresh
    server_dir = Path(env["TG_SERVER_DIR"])
    password = (server_dir / "password").read_text().strip()
    assert len(password) >= 20
    admin_runs = [b for b in blobs if b"set-initial-password" in b]
    assert admin_runs, "the scan must have seen neo4j-admin set-initial-password run"
    assert all(b"@" in b for b in admin_runs)  # the password went through an @file
    assert not [b for b in blobs if password.encode() in b]
    assert not list((server_dir / "run").glob(".initial-password-*")), "the @file is deleted"
    # and the password neo4j-admin set is the one in the file: the Browser/driver log in with it
    proc = cli("db", "cypher", "RETURN 1 AS one", "-f", "json", env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout) == [{"one": 1}], proc.stderr


def test_server_folder_is_0700_its_files_0600_and_status_says_private(
    fresh: tuple[dict[str, str], list[bytes]],
) -> None:
    env, _ = fresh
    root = Path(env["TG_SERVER_DIR"])
    assert root.stat().st_mode & 0o777 == 0o700
    exposed = [
        (str(p), oct(p.stat().st_mode & 0o777))
        for p in root.rglob("*")
        if not p.is_symlink() and p.stat().st_mode & 0o077
    ]
    assert exposed == []
    for name in ("password", "data/dbms/auth.ini", "conf/neo4j.conf", "logs/debug.log"):
        assert (root / name).stat().st_mode & 0o777 == 0o600, name
    status = json.loads(cli("db", "status", "-f", "json", env=env).stdout)
    assert (status["private"], status["server_dir_mode"], status["readable_by_others"]) == (True, "0700", 0)


@pytest.fixture
def held_port() -> Iterator[dict[str, int]]:
    """An HTTP server and a silent listener, each holding a port."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        http_port = s.getsockname()[1]
    http = subprocess.Popen([sys.executable, "-m", "http.server", str(http_port), "--bind", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", http_port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield {"http": http_port, "silent": silent.getsockname()[1]}
    finally:
        http.kill()
        http.wait()
        silent.close()


@pytest.mark.parametrize(
    ("kind", "named"), [("http", "an HTTP server"), ("silent", "a listener that does not answer")]
)
def test_a_port_held_by_something_not_bolt_fails_within_5_s(
    settings: Settings, held_port: dict[str, int], kind: str, named: str
) -> None:
    port = held_port[kind]
    env = {"TG_BOLT_PORT": str(port), "TG_SERVER_DIR": str(settings.server_dir), "NEO4J_URI": ""}
    started = time.monotonic()
    found = identify("127.0.0.1", port)
    assert time.monotonic() - started < 5 and found is not None and found.startswith(named)
    for args in (["db", "cypher", "RETURN 1"], ["db", "init"]):
        started = time.monotonic()
        proc = cli(*args, env=env)
        elapsed = time.monotonic() - started
        # the driver alone would retry for about a minute; the probe answers within 2 s
        assert elapsed < 5, elapsed
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1, proc.stderr
        assert f"port {port} on 127.0.0.1 is held by {named}" in proc.stderr, proc.stderr
    start = cli(
        "db", "start", env={**env, "TG_SERVER_DIR": str(Path(settings.server_dir).parent / "unused-srv")}
    )
    assert start.returncode == 2 and start.stderr.count("\n") == 1
    assert f"port {port} (Bolt) is already in use on 127.0.0.1 by {named}" in start.stderr, start.stderr


def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True).returncode == 0  # fmt: skip


@pytest.mark.parametrize(
    ("case", "options", "reason"),
    [("read-only", "ro,size=1m", "Read-only file system"), ("full", "size=4k", "No space left on device")],
)
def test_a_read_only_or_full_server_folder_is_one_line(
    tmp_path: Path, case: str, options: str, reason: str
) -> None:
    folder = tmp_path / "srv"
    mounted = _mount_tmpfs(folder, options)
    if not mounted:
        if case == "full":
            pytest.skip("a full folder needs a tmpfs mount (root)")
        folder.chmod(0o500)
        reason = "Permission denied"
    try:
        env = {
            "TG_SERVER_DIR": str(folder),
            "TG_BOLT_PORT": "18187",
            "TG_HTTP_PORT": "18174",
            "NEO4J_URI": "",
        }
        if case == "full":  # fill it
            with open(folder / "filler", "wb") as f, pytest.raises(OSError):
                f.write(b"x" * 65536)
                f.flush()
        proc = cli("db", "start", env=env)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
        assert proc.stderr.startswith("error: cannot write the server folder") and reason in proc.stderr, (
            proc.stderr
        )
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=False)
        else:
            folder.chmod(0o700)
