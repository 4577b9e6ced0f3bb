"""Fixtures: the real Neo4j test server that `make test` / `.ci/run` starts (no mocked database)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from transfergraph import config, db
from transfergraph.config import Settings

from support import ZOO, SecondServer, cli, tg


@pytest.fixture(scope="session")
def settings() -> Settings:
    return config.load()


@pytest.fixture(scope="session")
def driver(settings: Settings) -> Iterator[neo4j.Driver]:
    """The test server; if it is down the suite fails (start it with `make test-server-start`)."""
    with db.connect(settings) as drv:
        yield drv


@pytest.fixture(scope="session")
def zoo() -> Path:
    if not (ZOO / "image_classification" / "records.csv").exists():
        pytest.fail(f"the paper zoo is not at {ZOO}: set TG_ZOO_PATH")
    return ZOO


def _counts(drv: neo4j.Driver) -> dict[str, int]:
    """Nodes per label and relationships per type: a change of the graph's content by a test that
    did not say it writes (the paper zoo's own counts are exact, tests/server/test_paper_zoo_counts.py)."""
    nodes, _, _ = drv.execute_query("MATCH (n) UNWIND labels(n) AS k RETURN k, count(*) AS n")
    rels, _, _ = drv.execute_query("MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS n")
    return {r["k"]: r["n"] for r in [*nodes, *rels]}


class ServerGraph:
    """What the test server's graph holds, so that the tests that read the paper zoo share one ingest.

    `summary`: what `tg ingest paper-zoo` reported ingesting the zoo into the empty graph, or None
    when the graph holds something else (a writer wiped it: `wiped`). `derived`: a test was given
    `zoo_graph` since, and may have added views, embeddings or predictions to the zoo. `counts`: the
    zoo's counts right after the ingest; a graph whose zoo counts differ is ingested again, so a
    writer that forgot to say so cannot hand another test a changed zoo."""

    def __init__(self, driver: neo4j.Driver, zoo: Path) -> None:
        self.driver, self.zoo = driver, zoo
        self.summary: list[dict[str, Any]] | None = None
        self.derived = False
        self.counts: dict[str, int] = {}

    def wipe(self) -> None:
        self.summary = None
        self.driver.execute_query("MATCH (n) DETACH DELETE n")

    def paper_zoo(self, pristine: bool) -> list[dict[str, Any]]:
        """The zoo in the graph (`pristine`: nothing else either), ingested again only if needed;
        the summary of its ingest into the empty graph."""
        if self.summary is None or (pristine and self.derived) or not self._intact(pristine):
            self.wipe()
            proc = cli("ingest", "paper-zoo", "--path", str(self.zoo), "-f", "json")
            assert proc.returncode == 0, proc.stderr
            self.summary, self.derived, self.counts = json.loads(proc.stdout), False, _counts(self.driver)
        return self.summary

    def _intact(self, pristine: bool) -> bool:
        now = _counts(self.driver)
        return now == self.counts if pristine else {k: now.get(k) for k in self.counts} == self.counts


@pytest.fixture(scope="session")
def server_graph(driver: neo4j.Driver, zoo: Path) -> ServerGraph:
    return ServerGraph(driver, zoo)


@pytest.fixture
def wiped(server_graph: ServerGraph) -> neo4j.Driver:
    """An empty graph, for a test that writes its own (the shared zoo is ingested again when a test
    needs it next)."""
    server_graph.wipe()
    return server_graph.driver


@pytest.fixture(scope="module")
def module_wiped(server_graph: ServerGraph) -> neo4j.Driver:
    """`wiped` once for a module whose tests share the graph it writes."""
    server_graph.wipe()
    return server_graph.driver


@pytest.fixture(scope="module")
def zoo_graph(server_graph: ServerGraph) -> neo4j.Driver:
    """The test server holding the paper's zoo, shared by the modules that use it (ingested once per
    session, and again only after a writer); their tests may add views, embeddings, predictions."""
    server_graph.paper_zoo(pristine=False)
    server_graph.derived = True
    return server_graph.driver


@pytest.fixture(scope="module")
def pristine_zoo(server_graph: ServerGraph) -> list[dict[str, Any]]:
    """The test server holding exactly what `tg ingest paper-zoo` writes into an empty graph, and
    what it reported doing so."""
    return server_graph.paper_zoo(pristine=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scan(seen: dict[int, bytes], stop: threading.Event) -> None:
    """Every process's argv and environment, as often as possible, until stopped."""
    while not stop.is_set():
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                blob = (d / "cmdline").read_bytes() + b"\0" + (d / "environ").read_bytes()
            except OSError:
                continue
            seen[hash(blob)] = blob
        time.sleep(0.01)


@pytest.fixture(scope="session")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecondServer]:
    """One second managed server for the session (own folder, free ports), first-started by a `tg db
    start` process while every /proc cmdline and environ is recorded: one first start (the slowest
    kind) serves the life-cycle and hardening tests and those that address it only by NEO4J_URI;
    each wipes its graph. Stopped at the end of the session, where the stop and the status of a
    stopped server are checked (a failure there is an error of the session's last test)."""
    env = {
        "TG_SERVER_DIR": str(tmp_path_factory.mktemp("second") / "srv"),
        "TG_BOLT_PORT": str(_free_port()),
        "TG_HTTP_PORT": str(_free_port()),
        "TG_HEAP": "512m",
        "TG_PAGECACHE": "64m",
        "NEO4J_URI": "",
    }
    seen: dict[int, bytes] = {}
    stop = threading.Event()
    scanner = threading.Thread(target=_scan, args=(seen, stop), daemon=True)
    scanner.start()
    try:
        started = tg("db", "start", env=env)
    finally:
        stop.set()
        scanner.join()
    try:
        assert started.returncode == 0, started.stderr
        yield SecondServer(env, list(seen.values()))
    finally:
        stopped = cli("db", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    down = cli("db", "status", env=env)
    assert down.returncode == 1
    assert down.stdout == "" and down.stderr.count("\n") == 1 and "not running" in down.stderr
    assert "Traceback" not in down.stderr


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules that need the zoo exactly as ingested run first, then those that read it (and may
    add views or embeddings to it), then the rest (which write graphs of their own): one ingest of
    the zoo per session. Only the speed depends on this order: `zoo_graph` and `pristine_zoo` ingest
    the zoo again whenever the graph is not what they promise."""

    def rank(item: pytest.Item) -> int:
        names = set(getattr(item, "fixturenames", ()))
        return 0 if "pristine_zoo" in names else 1 if "zoo_graph" in names else 2

    module_rank: dict[pytest.Module | None, int] = {}
    for item in items:
        module = item.getparent(pytest.Module)
        module_rank[module] = min(module_rank.get(module, 2), rank(item))
    items.sort(key=lambda item: module_rank[item.getparent(pytest.Module)])
