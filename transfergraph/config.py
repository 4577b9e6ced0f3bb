"""Every setting, read from the environment here and nowhere else: the README's configuration table.

`load()` reads the connection and server settings once per command; the switches below are read
when they are used (a benchmark sets them for one process).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from transfergraph.errors import TGError


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


@dataclass(frozen=True)
class Settings:
    cache_dir: Path  # downloaded jars, shared by every server dir
    server_dir: Path  # conf, data, logs, pid and password of one managed server
    bolt_port: int
    http_port: int
    heap: str
    pagecache: str
    uri: str | None  # external server; None means the managed one
    username: str
    password: str | None
    zoo_path: Path | None

    @property
    def external(self) -> bool:
        return self.uri is not None

    @property
    def bolt_uri(self) -> str:
        return self.uri or f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str | None:
        return None if self.external else f"http://127.0.0.1:{self.http_port}/browser/"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise TGError(f"{name}={raw!r} is not a port number") from None
    if not 0 < value < 65536:
        raise TGError(f"{name}={raw!r} is not a port number (1-65535)")
    return value


def load() -> Settings:
    zoo = os.environ.get("TG_ZOO_PATH")
    return Settings(
        cache_dir=Path(os.environ.get("TG_CACHE_DIR") or _xdg("XDG_CACHE_HOME", ".cache") / "transfergraph"),
        server_dir=Path(
            os.environ.get("TG_SERVER_DIR")
            or _xdg("XDG_DATA_HOME", ".local/share") / "transfergraph" / "neo4j"
        ),
        bolt_port=_int("TG_BOLT_PORT", 7687),
        http_port=_int("TG_HTTP_PORT", 7474),
        heap=os.environ.get("TG_HEAP", "4g"),
        pagecache=os.environ.get("TG_PAGECACHE", "2g"),
        uri=os.environ.get("NEO4J_URI") or None,
        username=os.environ.get("NEO4J_USERNAME", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD") or None,
        zoo_path=Path(zoo) if zoo else None,
    )


def debug() -> bool:
    """TG_DEBUG=1: a failure prints its traceback before the one-line error (for bug reports)."""
    return os.environ.get("TG_DEBUG", "") not in ("", "0")


def gnn_memory() -> str:
    """TG_GNN_MEMORY: the most GraphSAGE / GAT full-batch training may take (default 4g)."""
    return os.environ.get("TG_GNN_MEMORY") or "4g"


def predict_timings() -> Path | None:
    """TG_PREDICT_TIMINGS: a file where `tg predict` writes the seconds of each step (benchmarks)."""
    return Path(os.environ["TG_PREDICT_TIMINGS"]) if os.environ.get("TG_PREDICT_TIMINGS") else None


def bulk_timings() -> Path | None:
    """TG_BULK_TIMINGS: a file where `--bulk` appends the seconds of each step (benchmarks)."""
    return Path(os.environ["TG_BULK_TIMINGS"]) if os.environ.get("TG_BULK_TIMINGS") else None
