"""Unit tests run without a server: any attempt to reach Neo4j fails the test.

So a refused input or setting that passes here was refused before any connection: the graph cannot
have been written, and the tests need no snapshot of it.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import neo4j
import pytest

from transfergraph import db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("a unit test tried to connect to Neo4j")

    monkeypatch.setattr(db, "connect", refuse)
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", refuse)
    # and point the configuration away from the test server, should something get past the above
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("TG_SERVER_DIR", str(tmp_path / "no-server"))
    monkeypatch.setenv("TG_BOLT_PORT", str(_free_port()))
    monkeypatch.setenv("TG_HTTP_PORT", str(_free_port()))
