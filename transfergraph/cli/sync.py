"""`tg sync JOB.toml`: keep the graph and its predictions current from a job's sources."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt
from transfergraph.output import emit, emit_record

COLUMNS = {
    "source": "source", "kind": "kind", "status": "status", "runs_created": "runs new",
    "runs_updated": "runs updated", "runs_skipped": "skipped", "datasets_changed": "datasets",
    "seconds": "s", "note": "note",
}  # fmt: skip


def sync(
    job: Path = typer.Argument(..., metavar="JOB.toml", help="The job file (docs/sync.md)."),
    wait: float = typer.Option(
        0.0, "--wait", min=0, help="Seconds to wait for another sync's lock (default: refuse at once)."
    ),
    full: bool = typer.Option(False, "--full", help="Read every source whole, not only what is new."),
    fmt: Format = FormatOpt,
) -> None:
    """Ingest a job's sources incrementally, then re-predict the datasets whose runs changed.

    One sync at a time per graph (a lock in the graph); a source that fails is named, writes nothing,
    and the others are kept (exit 2). Safe from cron.

    Example: tg sync zoo.toml; tg sync zoo.toml --wait 600 --format json
    """
    from transfergraph.api import TransferGraph

    say = (lambda m: print(m, file=sys.stderr)) if fmt is Format.table else (lambda _: None)
    with TransferGraph() as tg:
        result = tg.sync(job, wait=wait, full=full, log=say)
    if fmt is Format.json:
        emit_record(result.as_json(), fmt)
    else:
        emit(result.rows(), fmt, title=f"tg sync {job}", columns=COLUMNS, ids=("source",))
        r = result.refreshed
        if fmt is Format.table:
            what = {"none": "nothing to refresh", "all": "view rebuilt, every dataset re-predicted",
                    "datasets": f"re-predicted {len(r.predicted)} datasets: {', '.join(r.predicted)}",
                    "failed": "refresh failed"}[r.mode]  # fmt: skip
            print(f"refresh: {what} ({r.reason or r.error}; {r.seconds:.1f} s)")
    for failure in result.failures:
        for line in failure.problems[1:20] if len(failure.problems) > 1 else ():
            print(f"  {failure.name}: {line}", file=sys.stderr)
        print(f"error: source {failure.name!r} ({failure.kind}) failed: {failure.error}", file=sys.stderr)
    if result.refreshed.error:
        print(f"error: refresh failed: {result.refreshed.error}", file=sys.stderr)
    if not result.ok:
        raise typer.Exit(2)
