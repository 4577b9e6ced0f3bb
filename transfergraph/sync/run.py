"""`tg sync JOB.toml`: ingest every source of a job incrementally, then refresh what their runs changed.

Under the graph's sync lock (lock.py), each source is read only as far as it is new (its saved state:
transfergraph/ingest/state.py), validated whole and written; a source that fails is named and
written nothing, the others are kept. Then the production view and its predictions are refreshed
for exactly the datasets whose runs were created or updated (`predict(datasets=...)` re-derives
their part of the view and replaces their predictions), or rebuilt whole when more than
`[refresh] full_above` datasets changed, or when there is no view yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j

from transfergraph import views
from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.errors import InvalidInput, TGError, cut_echoes
from transfergraph.sync import lock
from transfergraph.sync.job import Job, Refresh, Source, parse
from transfergraph.sync.sources import Context, SourceResult, ingest_source


@dataclass(frozen=True)
class Failure:
    """A source that wrote nothing: its first problem as one line, and all of them."""

    name: str
    kind: str
    error: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refreshed:
    """What was refreshed after the sources: `mode` none (no run changed), datasets (their part of
    the view and their predictions), all (the view rebuilt, every dataset predicted)."""

    mode: str
    view_rebuilt: bool
    predicted: tuple[str, ...]  # the datasets re-predicted (mode datasets), else ()
    seconds: float
    reason: str = ""
    error: str | None = None


@dataclass(frozen=True)
class SyncResult:
    job: str
    sources: tuple[SourceResult, ...]
    failures: tuple[Failure, ...]
    refreshed: Refreshed
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures and self.refreshed.error is None

    @property
    def datasets(self) -> tuple[str, ...]:
        """Every dataset whose runs changed, sorted."""
        return tuple(sorted({d for s in self.sources for d in s.datasets}))

    def rows(self) -> list[dict[str, Any]]:
        """One summary row per source (failed ones included), in the job's order."""
        out = [s.row() for s in self.sources]
        for f in self.failures:
            out.append({"source": f.name, "kind": f.kind, "status": "failed", "note": f.error})
        return out

    def frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows())

    def as_json(self) -> dict[str, Any]:
        r = self.refreshed
        return {
            "job": self.job, "ok": self.ok, "seconds": round(self.seconds, 2), "sources": self.rows(),
            "datasets_changed": list(self.datasets),
            "refresh": {"mode": r.mode, "view_rebuilt": r.view_rebuilt, "predicted": list(r.predicted),
                        "seconds": round(r.seconds, 2), "reason": r.reason, "error": r.error},
            "problems": {f.name: list(f.problems) for f in self.failures},
        }  # fmt: skip


def sync(
    drv: neo4j.Driver,
    settings: Settings,
    job: Job | Path | str,
    *,
    wait: float = 0.0,
    full: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> SyncResult:
    """Run `job` (a parsed Job or a job file) under the graph's sync lock; see the module doc."""
    start = time.monotonic()
    job = job if isinstance(job, Job) else parse(Path(job))
    done: list[SourceResult] = []
    failures: list[Failure] = []
    with lock.held(drv, wait) as owner:
        ctx = Context(drv, settings)
        for source in job.sources:
            log(f"source {source.name} ({source.kind})")
            outcome = _one(ctx, source, full)
            (done if isinstance(outcome, SourceResult) else failures).append(outcome)  # type: ignore[arg-type]
            lock.renew(drv, owner)
        changed = sorted({d for s in done for d in s.datasets})
        refreshed = refresh(drv, settings, job.refresh, changed, log)
    return SyncResult(str(job.path), tuple(done), tuple(failures), refreshed, time.monotonic() - start)


def _one(ctx: Context, source: Source, full: bool) -> SourceResult | Failure:
    """One source ingested, or its failure (nothing of it written: records are validated first)."""
    try:
        return ingest_source(ctx, source.kind, source.options, name=source.name, full=full)
    except InvalidInput as e:
        lines = tuple(cut_echoes(str(p)) for p in e.problems)
        more = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
        return Failure(source.name, source.kind, f"{lines[0]}{more}; nothing of it was written", lines)
    except TGError as e:
        return Failure(source.name, source.kind, cut_echoes(str(e)), (str(e),))


def refresh(
    drv: neo4j.Driver, settings: Settings, plan: Refresh, changed: list[str], log: Callable[[str], None]
) -> Refreshed:
    """Refresh the production view and its predictions for `changed` (see the module doc)."""
    from transfergraph import graph
    from transfergraph.predict.run import predict

    start = time.monotonic()
    if not changed:
        return Refreshed("none", False, (), 0.0, "no run was created or updated")
    if not (plan.graph or plan.predict):
        return Refreshed("none", False, (), 0.0, "the job's [refresh] asks for nothing")
    view = views.PRODUCTION
    recorded = run(drv, "features/view", view=view)
    try:
        if not recorded or len(changed) > plan.full_above:
            reason = (
                f"no view {view!r} yet" if not recorded
                else f"{len(changed)} datasets changed, more than full_above = {plan.full_above}"
            )  # fmt: skip
            log(f"refresh: rebuild view {view!r} ({reason})")
            fields = recorded[0]["view"] if recorded else {}
            build = graph.BuildSettings(
                **{k: fields[k] for k in graph.BuildSettings.__dataclass_fields__ if k in fields}
            )
            graph.build(drv, None, view, build)
            if plan.predict:
                log("refresh: predict every dataset")
                predict(drv, settings, view, plan.method)
            return Refreshed("all", True, (), time.monotonic() - start, reason)
        if plan.predict:
            log(f"refresh: predict {len(changed)} datasets")
            predict(drv, settings, view, plan.method, datasets=changed)  # re-derives their part first
        else:
            for dataset in changed:
                graph.refresh_dataset(drv, view, dataset)
        predicted = tuple(changed) if plan.predict else ()
        return Refreshed("datasets", False, predicted, time.monotonic() - start, "their runs changed")
    except TGError as e:
        return Refreshed("failed", False, (), time.monotonic() - start, error=cut_echoes(str(e)))
