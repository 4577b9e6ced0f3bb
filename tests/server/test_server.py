"""The managed Neo4j: GDS, auth, loopback only, `tg db` commands (the life cycle of a second server:
tests/server/test_server_hardening.py)."""

from __future__ import annotations

import json
import os
import socket
import urllib.request
import uuid
from pathlib import Path

import neo4j
import pandas as pd
import pytest
from graphdatascience import GraphDataScience
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from transfergraph import server
from transfergraph.config import Settings

from support import cli

pytestmark = pytest.mark.server


def test_gds_version_is_the_pinned_one(driver: neo4j.Driver) -> None:
    records, _, _ = driver.execute_query("RETURN gds.version() AS v")
    assert records[0]["v"] == server.pinned_versions()["gds"]


def test_node2vec_through_gds_returns_vectors(settings: Settings) -> None:
    gds = GraphDataScience(settings.bolt_uri, auth=(settings.username, server.password(settings)))
    name = f"tiny-{uuid.uuid4().hex[:8]}"
    nodes = pd.DataFrame({"nodeId": range(6)})
    rels = pd.DataFrame({"sourceNodeId": [0, 1, 2, 3, 4, 5], "targetNodeId": [1, 2, 3, 4, 5, 0]})
    graph = gds.graph.construct(name, nodes, rels)
    try:
        emb = gds.node2vec.stream(graph, embedding_dimension=8, random_seed=7, concurrency=1)
    finally:
        gds.graph.drop(name)
        gds.close()
    assert sorted(emb["nodeId"]) == list(range(6))
    vectors = emb["embedding"].tolist()
    assert all(len(v) == 8 for v in vectors)
    assert any(abs(x) > 1e-6 for v in vectors for x in v)  # trained, not all zeros


def test_bolt_without_auth_is_rejected(settings: Settings) -> None:
    with GraphDatabase.driver(settings.bolt_uri, auth=None) as drv, pytest.raises(AuthError):
        drv.verify_connectivity()


def test_bolt_with_wrong_password_is_rejected(settings: Settings) -> None:
    auth = (settings.username, "not-the-password")
    with GraphDatabase.driver(settings.bolt_uri, auth=auth) as drv, pytest.raises(AuthError):
        drv.verify_connectivity()


def test_password_file_is_private(settings: Settings) -> None:
    if settings.external:
        pytest.skip("external server: no password file")
    mode = server.Paths.of(settings).password.stat().st_mode & 0o777
    assert mode == 0o600


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every listening TCP socket owned by pid, from /proc (no ss/netstat needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            raw = bytes.fromhex(addr_hex)
            # /proc prints each 32-bit word little-endian
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            family = socket.AF_INET if width == 8 else socket.AF_INET6
            found.append((socket.inet_ntop(family, words), int(port_hex, 16)))
    return found


def test_nothing_listens_beyond_loopback(settings: Settings) -> None:
    pid = server.running_pid(settings)
    if settings.external or pid is None:
        pytest.skip("only the managed server's sockets can be inspected")
    sockets = _listening(pid)
    ports = {port for _, port in sockets}
    assert {settings.bolt_port, settings.http_port} <= ports
    loopback = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
    assert [s for s in sockets if s[0] not in loopback] == []


def test_browser_page_and_discovery_answer(settings: Settings) -> None:
    if settings.browser_url is None:
        pytest.skip("external server")
    with urllib.request.urlopen(settings.browser_url, timeout=10) as resp:
        page = resp.read().decode()
    assert resp.status == 200 and "Neo4j Browser" in page
    root = settings.browser_url.removesuffix("browser/")
    req = urllib.request.Request(root, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        discovery = json.load(resp)
    assert discovery["bolt_direct"] == f"bolt://127.0.0.1:{settings.bolt_port}"
    assert discovery["neo4j_version"] == server.pinned_versions()["neo4j"]


def test_cypher_command_with_params_prints_json() -> None:
    query = "RETURN $n + 1 AS n, $s AS s"
    proc = cli("db", "cypher", query, "-p", "n=41", "-p", "s=it's `odd`", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"n": 42, "s": "it's `odd`"}]


def test_cypher_syntax_error_is_one_line() -> None:
    proc = cli("db", "cypher", "RETURN RETURN")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: Cypher error")


def test_status_json_reports_both_versions() -> None:
    proc = cli("db", "status", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    pinned = server.pinned_versions()
    assert (status["neo4j_version"], status["gds_version"]) == (pinned["neo4j"], pinned["gds"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_start_on_a_busy_port_names_the_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {
            "TG_SERVER_DIR": str(tmp_path / "srv"),
            "TG_BOLT_PORT": str(port),
            "TG_HTTP_PORT": str(_free_port()),
        }
        proc = cli("db", "start", env=env)
    assert proc.returncode == 2
    assert f"port {port} (Bolt) is already in use" in proc.stderr and proc.stderr.count("\n") == 1
