"""Write canonical records into Neo4j: batched `UNWIND $rows ... MERGE`, one transaction per batch.

Every statement is an upsert keyed by ids (nodes), run_id (runs), metric (scores) or probe model
(similarities), so a re-run, or a re-run after a crash mid-ingest, converges to the same graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import neo4j

from transfergraph.cypher import query, statements
from transfergraph.errors import TGError
from transfergraph.loaders import storable
from transfergraph.loaders.records import Records
from transfergraph.schema import ENTITIES


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


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _write_batch(tx: neo4j.ManagedTransaction, statement: str, rows: list[dict[str, Any]]) -> dict[str, int]:
    return dict(tx.run(statement, rows=rows).single(strict=True))


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
        raise TGError(f"--batch-size must be at least 1, got {batch_size}")
    if not checked:
        storable.check(records)  # before the first write: InvalidInput for anything Neo4j would refuse
    apply_schema(drv)
    summary: dict[str, Tally] = {}
    for entity in ENTITIES:
        rows = records.rows(entity)
        tally = summary[entity] = Tally()
        statement = query(f"ingest/{entity}")
        with drv.session() as session:
            for batch in _batches(rows, batch_size):
                counts = session.execute_write(_write_batch, statement, batch)
                tally.created += counts["created"]
                tally.updated += counts["updated"]
                tally.unchanged += counts["unchanged"]
                if on_batch is not None:
                    on_batch(entity, len(batch))
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
