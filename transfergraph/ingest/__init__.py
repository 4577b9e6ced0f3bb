"""Ingestion: canonical records into the graph, transactionally (`writer`) or by a bulk import into an
empty database (`bulk`); `jobs` runs a whole `tg ingest` command (read and validate every source,
write, tally)."""

from transfergraph.ingest.writer import WRITERS, Tally, apply_schema, merge_key, planned, write

__all__ = ["WRITERS", "Tally", "apply_schema", "merge_key", "planned", "write"]
