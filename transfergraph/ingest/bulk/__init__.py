"""Initial loads at `neo4j-admin database import` speed: `tg ingest ... --bulk` (`importer` says how
it stays safe at every step; `plan`, `csv_files`, `columnar*` prepare what it imports)."""

from transfergraph.ingest.bulk.columnar import Prepared
from transfergraph.ingest.bulk.csv_files import Layout, write_csv
from transfergraph.ingest.bulk.importer import (
    PreviousStore,
    check_empty,
    discard_store,
    load,
    load_prepared,
    run_import,
)
from transfergraph.ingest.bulk.plan import Plan, merge, plan

__all__ = [
    "Layout", "Plan", "Prepared", "PreviousStore", "check_empty", "discard_store", "load",
    "load_prepared", "merge", "plan", "run_import", "write_csv",
]  # fmt: skip
