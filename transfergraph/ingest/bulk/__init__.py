"""Initial loads at `neo4j-admin database import` speed: `tg ingest ... --bulk`.

For an EMPTY managed database only. The loader's Records are planned (plan.py: merged the way the
MERGE statements would), written as neo4j-admin CSV files (csv_files.py), the managed server is
stopped, `neo4j-admin database import full` replaces the `neo4j` database, the server is started
again and the schema applied. The graph is the one the transactional path
(`transfergraph.ingest.write`) would have written into an empty database: same labels, types and
properties, one relationship per MERGE key (duplicate rows merge their properties in order).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import neo4j
from neo4j.exceptions import ServiceUnavailable, TransientError

from transfergraph import db, server
from transfergraph.config import Settings
from transfergraph.errors import ServerDown, TGError
from transfergraph.ingest import Tally, apply_schema
from transfergraph.ingest.bulk.csv_files import DATABASE, Layout, write_csv
from transfergraph.ingest.bulk.plan import Plan, plan
from transfergraph.loaders import storable
from transfergraph.loaders.records import Records
from transfergraph.schema import ENTITIES

__all__ = ["Plan", "check_empty", "discard_store", "load", "plan", "run_import", "write_csv"]

READY_TIMEOUT_S = 180.0
INDEX_TIMEOUT_S = 3600


def _say_stderr(message: str) -> None:
    if sys.stderr.isatty():
        print(f"bulk: {message}", file=sys.stderr)


def check_empty(settings: Settings) -> None:
    """Refuse (one-line TGError) unless the managed server runs and its database holds no node."""
    if settings.external:
        raise TGError(
            "--bulk rewrites the managed server's store with neo4j-admin: it cannot load into "
            f"NEO4J_URI={settings.uri} (unset NEO4J_URI, or drop --bulk)"
        )
    if server.running_pid(settings) is None:
        raise ServerDown(
            f"Neo4j is not running at {settings.bolt_uri} (start it with `tg db start`): --bulk "
            "checks that its database is empty first"
        )
    with db.connect(settings) as drv:
        nodes = db.run(drv, "ingest/bulk/node_count")[0]["nodes"]
    if nodes:
        raise TGError(
            f"the database is not empty ({nodes} nodes): --bulk is only for an initial load into an "
            "empty database (drop --bulk to upsert)"
        )


def _failure(proc_output: str) -> str:
    """The importer's own reason, from its --verbose output (the last 'Caused by' says it best)."""
    lines = [ln.strip() for ln in proc_output.splitlines()]
    for prefix in ("original error:", "Caused by:"):
        found = [ln for ln in lines if ln.startswith(prefix)]
        if found:
            return found[-1].removeprefix(prefix).strip()[:300]
    tail = [ln for ln in lines if ln and not ln.startswith("at ")]
    return tail[-1][:300] if tail else "no output"


def run_import(settings: Settings, layout: Layout) -> float:
    """Run neo4j-admin on the files (the server must be stopped); seconds taken. TGError on failure."""
    started = time.monotonic()
    proc = server.admin(settings, *layout.args())
    elapsed = time.monotonic() - started
    log = server.Paths.of(settings).logs / "bulk-import.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise TGError(f"neo4j-admin import failed: {_failure(proc.stdout + proc.stderr)} (see {log})")
    return elapsed


def discard_store(settings: Settings) -> None:
    """Delete the `neo4j` database's store and transaction logs (server stopped): it starts empty.

    After a failed import the store files are unusable; the database was empty, so start afresh.
    """
    data = server.Paths.of(settings).data
    for d in (data / "databases" / DATABASE, data / "transactions" / DATABASE):
        shutil.rmtree(d, ignore_errors=True)


def _ready(settings: Settings) -> neo4j.Driver:
    """A driver once the imported database answers queries (it may still be starting)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        drv = db.driver(settings)
        try:
            db.run(drv, "ingest/bulk/node_count")
            return drv
        except (TransientError, ServiceUnavailable):
            drv.close()
            if time.monotonic() > deadline:
                raise TGError(
                    f"the imported database did not come online within {READY_TIMEOUT_S:.0f}s"
                ) from None
            time.sleep(1.0)
        except BaseException:
            drv.close()
            raise


def load(
    settings: Settings,
    records: Records,
    work_dir: Path | None = None,
    say: Callable[[str], None] = _say_stderr,
) -> dict[str, Tally]:
    """Import `records` into the empty managed database; the same summary as `ingest.write`.

    The CSV files go to a temporary folder of the server dir (or `work_dir`, then kept).
    """
    storable.check(records)  # an over-long id would import, then break the uniqueness constraints
    check_empty(settings)
    p = plan(records)
    if not any(p.counts().values()):
        return p.summary  # nothing to import (neo4j-admin needs at least one node file)
    own_dir = work_dir is None
    directory = Path(tempfile.mkdtemp(prefix="bulk-", dir=settings.server_dir)) if own_dir else work_dir
    assert directory is not None
    try:
        say(f"writing import files into {directory}")
        layout = write_csv(p, directory)
        check_empty(settings)  # again, right before the database goes away
        say("stopping Neo4j")
        server.stop(settings, say=lambda _: None)
        try:
            say("neo4j-admin database import full")
            run_import(settings, layout)
        except BaseException:
            discard_store(settings)
            raise
        finally:
            say("starting Neo4j")
            server.start(settings, wait_ready=lambda: db.answers(settings), say=lambda _: None)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)
    with _ready(settings) as drv:
        say("applying the schema")
        apply_schema(drv)
        db.run(drv, "ingest/bulk/await_indexes", seconds=INDEX_TIMEOUT_S)
        found = db.run(drv, "ingest/bulk/counts")[0]
    expected = p.counts()
    wrong = [f"{e} {found[e]} of {expected[e]}" for e in ENTITIES if found[e] != expected[e]]
    if wrong:
        raise TGError(f"neo4j-admin import wrote {', '.join(wrong)}; see {server.Paths.of(settings).logs}")
    return p.summary
