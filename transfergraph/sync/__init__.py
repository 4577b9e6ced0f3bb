"""`tg sync`: a job file of sources (job.py), each ingested as far as it is new (sources.py), under
the graph's sync lock (lock.py), then the predictions its changed runs affect refreshed (run.py)."""

from transfergraph.sync.run import Failure, Refreshed, SyncResult, refresh, sync

__all__ = ["Failure", "Refreshed", "SyncResult", "refresh", "sync"]
