"""`tg score`: LogME / Reg-H-Score of candidate models on a dataset, computed here."""

from __future__ import annotations

from pathlib import Path

import typer

from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt, WideOpt
from transfergraph.output import emit, progress


def score(
    dataset: str = typer.Option(..., "--dataset", "-d", help="A dataset added with `tg dataset add`."),
    models: list[str] = typer.Option([], "--models", help="Model ids to score (repeatable)."),
    top: int | None = typer.Option(None, "--top-from-graph", help="Score the N best-ranked models."),
    metric: list[str] = typer.Option(
        ["logme"], "--metric", help="logme or reg-h-score (repeatable; both from the same features)."
    ),
    source: Path | None = typer.Option(
        None, "--from", help="Read the data here instead of where it was added from."
    ),
    force: bool = typer.Option(False, "--force", help="Recompute pairs already scored."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Items per forward pass."),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Extract each model's features on the dataset's sample (no fine-tuning) and write its
    TRANSFERABILITY score; a re-run skips the (model, dataset, metric) pairs already written.

    Examples: tg score -d my_reviews --top-from-graph 10; tg score -d my_reviews --models bert-base-uncased
    """
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg, progress() as bar:
        task = bar.add_task("score", total=None)

        def start(model: str, n: int) -> None:
            bar.reset(task, total=n, description=f"score {model}")

        result = tg.score(
            dataset,
            models=models,
            top=top,
            metrics=metric,
            source=source,
            force=force,
            batch_size=batch_size,
            on_start=start,
            on_batch=lambda n: bar.advance(task, n),
        )
    emit(
        result.records(),
        fmt,
        title=f"{dataset}: transferability computed here",
        ids=("model",),
        secondary=("metric", "status", "seconds"),
        wide=wide,
    )
    timed = {r.model: r.seconds for r in result if r.status == "written"}
    if timed and fmt is Format.table:
        per_model = sum(timed.values()) / len(timed)
        ranking = result.ranking_seconds
        print(
            f"{per_model:.2f} s per model scored; a ranking read from the graph takes "
            f"{ranking * 1000:.0f} ms "
            f"(scoring is {per_model / ranking:,.0f}x slower)"
        )
