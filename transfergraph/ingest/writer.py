"""The transactional writer: canonical records into Neo4j, batched `UNWIND $rows ... MERGE`, one
transaction per batch.

Every statement is an upsert keyed by ids (nodes), run_id (runs), metric (scores) or probe model
(similarities), so a re-run, or a re-run after a crash mid-ingest, converges to the same graph.

WRITERS transactions run at once (one session per thread): while the server works on one batch,
the client packs the next and the server's second core takes another. Only rows that upsert
distinct nodes or relationships are written that way (their order cannot matter); a table naming
one key twice is written in order by one writer. Deadlocks between writers on a popular model or
dataset are retried by the driver (`execute_write`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import neo4j

from transfergraph import schema
from transfergraph.cypher import query, statements
from transfergraph.errors import ParameterError, TGError
from transfergraph.loaders import storable
from transfergraph.loaders.records import Records
from transfergraph.schema import ENTITIES

# Concurrent write transactions: 2 measured 1.6x faster than 1 for 200k runs on 2 cores, 3 no
# faster than 2 (benchmarks/ingest_bench.py).
WRITERS = 2


def apply_schema(drv: neo4j.Driver) -> list[str]:
    """Create the constraints and indexes of `cypher/schema.cypher` that do not exist yet."""
    names = []
    for name, text in statements("schema"):
        drv.execute_query(text.rstrip(";"))
        names.append(name)
    return names


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    # runs only: the datasets whose runs were created or updated (cypher/ingest/runs.cypher)
    datasets: set[str] = field(default_factory=set)

    def add_written(self, other: Tally) -> None:
        """Add another load's written rows (created, updated, unchanged): one summary per call."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.datasets |= other.datasets


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _write_batch(tx: neo4j.ManagedTransaction, statement: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(tx.run(statement, rows=rows).single(strict=True))


def _ignore(_: int) -> None:
    pass


def merge_key(kind: schema.RelKind, row: dict[str, Any]) -> tuple[Any, ...]:
    """What a relationship row's MERGE matches on: its key alone when the key is unique in the
    graph (run_id), else the pair and the key (None for one relationship per pair)."""
    value = row[kind.row_key] if kind.row_key is not None else None
    return (value,) if kind.global_key else (row[kind.start_field], row[kind.end_field], value)


def _distinct(entity: str, rows: list[dict[str, Any]]) -> bool:
    """Whether no two rows upsert the same node or relationship (node rows are one per id)."""
    kind = schema.rel_kind(entity)
    return kind is None or len({merge_key(kind, row) for row in rows}) == len(rows)


def _write_rows(
    drv: neo4j.Driver,
    statement: str,
    rows: list[dict[str, Any]],
    batch_size: int,
    writers: int,
    on_batch: Callable[[int], None],
) -> Tally:
    """Write `rows` in batches by `writers` concurrent sessions; the summed counts. The first
    failure stops the other writers after their current batch and is raised."""
    tally = Tally()
    batches = _batches(rows, batch_size)
    lock = threading.Lock()
    stop = threading.Event()

    def writer() -> None:
        try:
            with drv.session() as session:
                while not stop.is_set():
                    with lock:
                        batch = next(batches, None)
                    if batch is None:
                        return
                    counts = session.execute_write(_write_batch, statement, batch)
                    with lock:
                        tally.created += counts["created"]
                        tally.updated += counts["updated"]
                        tally.unchanged += counts["unchanged"]
                        tally.datasets.update(counts.get("datasets") or ())
                        on_batch(len(batch))
        except BaseException:
            stop.set()  # by the failing writer itself: the caller may be waiting on a healthy one
            raise

    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="tg-writer") as pool:
        futures = [pool.submit(writer) for _ in range(writers)]
        try:
            for future in futures:
                future.result()
        except BaseException:
            stop.set()  # KeyboardInterrupt too: the others finish their batch and stop
            raise
    return tally


def write(
    drv: neo4j.Driver,
    records: Records,
    batch_size: int = 5000,
    on_batch: Callable[[str, int], None] | None = None,
    checked: bool = False,
) -> dict[str, Tally]:
    """Write all entities in dependency order; returns per-entity counts. Nodes first, then edges.
    `checked`: the caller already ran `storable.check` on these very records (`tg ingest` checks
    every file before writing any), so it is not run twice."""
    if batch_size < 1:
        raise ParameterError("batch_size", f"must be at least 1, got {batch_size}")
    if not checked:
        storable.check(records)  # before the first write: InvalidInput for anything Neo4j would refuse
    apply_schema(drv)
    summary: dict[str, Tally] = {}
    for entity in ENTITIES:
        rows = records.rows(entity)
        writers = WRITERS if _distinct(entity, rows) else 1
        done = partial(on_batch, entity) if on_batch is not None else _ignore
        tally = summary[entity] = _write_rows(drv, query(f"ingest/{entity}"), rows, batch_size, writers, done)
        written = tally.created + tally.updated + tally.unchanged
        if written != len(rows):  # a relationship whose endpoint is missing matched nothing
            raise TGError(f"{entity}: wrote {written} of {len(rows)} rows; endpoints missing from the graph")
    for (entity, reason), n in sorted(records.skipped.items()):
        tally = summary.setdefault(entity, Tally())
        tally.skipped += n
        tally.reasons.append(f"{n} {reason}")
    return summary


def planned(records: Records) -> dict[str, Tally]:
    """What `--dry-run` reports: rows that would be written (as 'created' is unknown), skips."""
    summary = {e: Tally() for e in ENTITIES}
    for (entity, reason), n in sorted(records.skipped.items()):
        summary[entity].skipped += n
        summary[entity].reasons.append(f"{n} {reason}")
    return summary
