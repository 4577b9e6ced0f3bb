"""Initial loads at `neo4j-admin database import` speed (`tg ingest ... --bulk`): the import itself.

For an EMPTY managed database only. The loader's Records are planned (plan.py: merged the way the
MERGE statements would), written as neo4j-admin CSV files (csv_files.py), the managed server is
stopped, `neo4j-admin database import full` builds a new `neo4j` store, the server is started
again and the schema applied. The graph is the one the transactional path
(`transfergraph.ingest.write`) would have written into an empty database: same labels, types and
properties, one relationship per MERGE key (duplicate rows merge their properties in order).

Safe at every step (`load`):

1. Before the server is stopped: everything Neo4j would refuse (`loaders/storable.py`), the
   database is empty, the plan's endpoints exist, the CSV files are written, and no earlier
   interrupted `--bulk` left a store aside. A failure here changes nothing.
2. Stopped: the previous store (`data/databases/neo4j`, `data/transactions/neo4j`) is moved aside
   into `SERVER_DIR/bulk-previous-store/` (a rename: the community edition has one user database,
   so the "staging database" is the store folder itself), and the new store is imported in its
   place.
3. The server is started, the schema (uniqueness constraints, indexes) applied, the indexes awaited
   and the counts checked against the plan.

Large run files (`tg ingest runs FILE.csv... --bulk`) and Hub model records (`tg ingest hf-models
--file FILE.jsonl... --bulk`) skip the Records: `columnar.py` and `columnar_hf.py` read, check and
write them in one streamed, vectorised pass (`load_prepared`), handing anything unusual back to the
Records path; the steps after the files are written are the same. `tg ingest runs ...
--hf-models-file FILE.jsonl --bulk` puts both in one import (`combined.py`: one stop, one start,
one index build), each Model and Dataset written once, as the runs-then-records upserts would.

If step 2 or 3 fails (or is interrupted), the server is stopped, the new store deleted, the previous
one moved back and the server started: the database is the previous one, and the error is one line
saying so. Only once step 3 passed is the previous store deleted. So the database is either the
previous one or the complete new one with its constraints, never a store without them.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import neo4j
from neo4j.exceptions import ServiceUnavailable, TransientError

from transfergraph import config, db, server
from transfergraph.config import Settings
from transfergraph.errors import ServerDown, TGError
from transfergraph.ingest.bulk.columnar import Prepared
from transfergraph.ingest.bulk.csv_files import DATABASE, Layout, write_csv
from transfergraph.ingest.bulk.plan import plan
from transfergraph.ingest.writer import Tally, apply_schema
from transfergraph.loaders import storable
from transfergraph.loaders.records import Records
from transfergraph.schema import ENTITIES

READY_TIMEOUT_S = 180.0
INDEX_TIMEOUT_S = 3600
# Benchmarks: a file to write the seconds of each step and the peak RSS into (`_Times`).


def _say_stderr(message: str) -> None:
    if sys.stderr.isatty():
        print(f"bulk: {message}", file=sys.stderr)


def _quiet(_: str) -> None:
    pass


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


def _store_dirs(settings: Settings) -> list[Path]:
    """The `neo4j` database's store and transaction logs."""
    data = server.Paths.of(settings).data
    return [data / "databases" / DATABASE, data / "transactions" / DATABASE]


def discard_store(settings: Settings) -> None:
    """Delete the `neo4j` database's store and transaction logs (server stopped): it starts empty."""
    for d in _store_dirs(settings):
        shutil.rmtree(d, ignore_errors=True)


class PreviousStore:
    """The `neo4j` store as it was before the import, kept aside (server stopped) until the new one
    is complete: `SERVER_DIR/bulk-previous-store/{databases,transactions}/neo4j`."""

    def __init__(self, settings: Settings) -> None:
        self.root = settings.server_dir / "bulk-previous-store"
        live = _store_dirs(settings)
        self.pairs = [(d, self.root / d.parent.name / d.name) for d in live]
        self.moved: dict[Path, bool] = {}  # live folder -> whether it existed (and was moved aside)

    def refuse_leftover(self) -> None:
        """An interrupted `--bulk` (killed between the move and the restore) left the store here."""
        if self.root.exists():
            raise TGError(
                f"an interrupted --bulk left the previous store in {self.root}: stop the server "
                f"(`tg db stop`), move its databases/{DATABASE} and transactions/{DATABASE} back "
                f"under {self.pairs[0][0].parent.parent} (or delete the folder to keep the current "
                "database), then retry"
            )

    def move_aside(self) -> None:
        """Rename the live store into the keep folder (same file system: instant, nothing copied)."""
        for live, kept in self.pairs:
            kept.parent.mkdir(parents=True, exist_ok=True)
            existed = live.exists()
            if existed:
                live.rename(kept)
            self.moved[live] = existed  # only what is in here is touched by put_back

    def put_back(self) -> None:
        """Delete whatever store the import left (complete or partial) and move the previous back."""
        for live, kept in self.pairs:
            if live not in self.moved:
                continue  # move_aside failed before this one: it is still the previous store
            shutil.rmtree(live, ignore_errors=True)
            if self.moved[live]:
                kept.rename(live)
        shutil.rmtree(self.root)

    def drop(self) -> None:
        """The new store is complete: the previous one is not needed any more."""
        shutil.rmtree(self.root, ignore_errors=True)


def _ready(settings: Settings) -> neo4j.Driver:
    """A driver once the `neo4j` database answers queries (it may still be starting)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        drv = db.driver(settings)
        try:
            db.run(drv, "ingest/bulk/node_count")
            return drv
        except (TransientError, ServiceUnavailable):
            drv.close()
            if time.monotonic() > deadline:
                raise TGError(f"the database did not come online within {READY_TIMEOUT_S:.0f}s") from None
            time.sleep(1.0)
        except BaseException:
            drv.close()
            raise


def _start(settings: Settings) -> neo4j.Driver:
    server.start(settings, wait_ready=lambda: db.answers(settings), say=_quiet)
    return _ready(settings)


def _one_line(error: BaseException) -> str:
    text = str(error) if isinstance(error, TGError) else f"{type(error).__name__}: {error}"
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first[:400]


def _restore(settings: Settings, previous: PreviousStore, error: BaseException) -> NoReturn:
    """Stop, put the previous store back, start; a TGError that says so (or what failed too)."""
    try:
        server.stop(settings, say=_quiet)
        previous.put_back()
    except BaseException as again:
        raise TGError(
            f"--bulk failed ({_one_line(error)}) and restoring the previous database failed too "
            f"({_one_line(again)}); it is kept in {previous.root}"
        ) from error
    try:
        _start(settings).close()
    except BaseException as again:
        raise TGError(
            f"--bulk failed ({_one_line(error)}); the previous database was put back, but the server "
            f"did not start ({_one_line(again)}): see `tg db logs`, then `tg db start`"
        ) from error
    if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit: restored, then re-raised
        raise error
    raise TGError(
        f"--bulk failed: {_one_line(error)}; the previous database was restored, nothing was loaded"
    ) from error


def _import_and_check(
    settings: Settings, expected: dict[str, int], layout: Layout, say: Callable[[str], None], times: _Times
) -> None:
    """Steps 2 and 3 (the previous store is aside): import, start, schema, indexes, counts."""
    say("neo4j-admin database import full")
    run_import(settings, layout)
    times.lap("import")
    times.rss["import_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    say("starting Neo4j")
    with _start(settings) as drv:
        times.lap("start")
        say("applying the schema")
        apply_schema(drv)
        db.run(drv, "ingest/bulk/await_indexes", seconds=INDEX_TIMEOUT_S)
        times.lap("schema_and_indexes")
        found = db.run(drv, "ingest/bulk/counts")[0]
        times.lap("count_check")
    wrong = [f"{e} {found[e]} of {expected[e]}" for e in ENTITIES if found[e] != expected[e]]
    if wrong:
        raise TGError(f"neo4j-admin import wrote {', '.join(wrong)}; see {server.Paths.of(settings).logs}")


class _Times:
    """Seconds per step of one `--bulk` call and peak RSS, written as JSON to the file named by
    TG_BULK_TIMINGS (benchmarks/ingest_bench.py: where the time goes, per call)."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.seconds: dict[str, float] = {}
        self.rss: dict[str, float] = {}

    def lap(self, step: str) -> None:
        now = time.monotonic()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self.last
        self.last = now

    def save(self) -> None:
        target = config.bulk_timings()
        if target:
            self.rss["tg_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            Path(target).write_text(json.dumps({"seconds": self.seconds, **self.rss}, indent=2))


def _swap_in(
    settings: Settings,
    previous: PreviousStore,
    layout: Layout,
    expected: dict[str, int],
    say: Callable[[str], None],
    times: _Times,
) -> None:
    """Steps 2 and 3 from written import files: stop, move the store aside, import, start, check;
    on any failure the previous store is put back (see the module's docstring)."""
    check_empty(settings)  # again, right before the database goes away
    say("stopping Neo4j")
    server.stop(settings, say=_quiet)
    times.lap("stop")
    try:
        previous.move_aside()
        _import_and_check(settings, expected, layout, say, times)
    except BaseException as e:
        say("restoring the previous database")
        _restore(settings, previous, e)
    previous.drop()
    times.lap("drop_previous")


def _work_dir(settings: Settings, work_dir: Path | None) -> Path:
    if work_dir is not None:
        return work_dir
    return Path(tempfile.mkdtemp(prefix="bulk-", dir=settings.server_dir))


def load(
    settings: Settings,
    records: Records | Sequence[Records],
    work_dir: Path | None = None,
    say: Callable[[str], None] = _say_stderr,
    checked: bool = False,
) -> dict[str, Tally]:
    """Import `records` (several: as if upserted in order) into the empty managed database, with one
    stop, one import and one start; the same summary as `ingest.write` (summed over the files).
    `checked`: as for `ingest.write`, the records already passed `storable.check`.

    The CSV files go to a temporary folder of the server dir (or `work_dir`, then kept). Either the
    complete new database (schema applied, counts checked) or, with a one-line TGError, the
    previous one: see the module's docstring.
    """
    times = _Times()
    parts = [records] if isinstance(records, Records) else list(records)
    for part in parts if not checked else ():
        storable.check(part)  # an over-long id would import, then break the uniqueness constraints
    check_empty(settings)
    previous = PreviousStore(settings)
    previous.refuse_leftover()
    times.lap("check_empty")
    p = plan(parts)  # TGError for rows whose endpoints are missing
    times.lap("plan")
    if not any(p.counts().values()):
        return p.summary  # nothing to import (neo4j-admin needs at least one node file)
    directory = _work_dir(settings, work_dir)
    try:
        say(f"writing import files into {directory}")
        layout = write_csv(p, directory)
        times.lap("write_csv")
        _swap_in(settings, previous, layout, p.counts(), say, times)
    finally:
        if work_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
        times.save()
    return p.summary


def load_prepared(
    settings: Settings,
    prepare: Callable[[Path], Prepared | None],
    work_dir: Path | None = None,
    say: Callable[[str], None] = _say_stderr,
) -> Prepared | None:
    """`load` for a loader that writes its import files itself (`columnar.runs`: read, check and
    write in one streamed pass); None, with nothing changed, when `prepare` hands over to the
    Records path. The same steps and guarantees as `load`."""
    times = _Times()
    check_empty(settings)
    previous = PreviousStore(settings)
    previous.refuse_leftover()
    times.lap("check_empty")
    directory = _work_dir(settings, work_dir)
    try:
        say(f"reading, checking and writing import files into {directory}")
        prepared = prepare(directory)
        times.lap("read_check_write_csv")
        if prepared is None:
            return None
        _swap_in(settings, previous, prepared.layout, prepared.expected, say, times)
    finally:
        if work_dir is None:
            shutil.rmtree(directory, ignore_errors=True)
        times.save()
    return prepared
