"""Fixtures: the real Neo4j test server that `make test` / `.ci/run` starts (no mocked database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from transfergraph import config, db
from transfergraph.config import Settings

from support import ZOO, cli


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


@pytest.fixture(scope="module")
def zoo_graph(driver: neo4j.Driver, zoo: Path) -> neo4j.Driver:
    """The test server holding exactly the paper's zoo (wiped and ingested once per module)."""
    driver.execute_query("MATCH (n) DETACH DELETE n")
    proc = cli("ingest", "paper-zoo", "--path", str(zoo), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    return driver
