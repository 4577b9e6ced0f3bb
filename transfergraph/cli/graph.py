"""`tg graph`: derive the learning graph (thresholded edges, per view) and describe it."""

from __future__ import annotations

from typing import Any

import typer

from transfergraph.choices import THRESHOLDS, Aggregate, Format, RunRegime
from transfergraph.cli.options import FormatOpt, ViewOpt, WideOpt
from transfergraph.output import emit, minute

# What a person scans for in an 80-column terminal; --format json|csv has every detail.
BUILD_COLUMNS = {
    "view": "view",
    "accuracy_edge": "accuracy",
    "pretrained_edge": "model-card",
    "transfer_edge": "transfer",
    "similarity_edge": "similarity",
}
VIEW_COLUMNS = {
    "name": "view",
    "target": "target",
    "modality": "modality",
    "edges": "edges",
    "built": "built",
}

app = typer.Typer(help="Build, list, describe and drop views of the learning graph.", no_args_is_help=True)


@app.command()
def build(
    target: list[str] = typer.Option(
        [], "--target", "-t", help="Hide this dataset's fine-tuning runs (repeatable: one view per target)."
    ),
    view: str | None = ViewOpt,
    threshold: list[str] = typer.Option(
        [], "--threshold", help="NAME=VALUE: " + ", ".join(THRESHOLDS) + " (repeatable)."
    ),
    runs: RunRegime = typer.Option(RunRegime.full, "--runs", help="Fine-tuning regime."),
    aggregate: Aggregate = typer.Option(Aggregate.mean, "--aggregate", help="Repeated runs of a pair."),
    pretrained: bool = typer.Option(True, "--pretrained/--no-pretrained", help="Model-card edges."),
    logme: bool = typer.Option(False, "--logme/--no-logme", help="Transferability (LogME) edges."),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Derive a view's edges in Cypher from the raw facts (replaces the view if it exists).

    Examples: tg graph build; tg graph build --target cifar100 --threshold accuracy_pos=0.6 --logme
    """
    from transfergraph.api import TransferGraph

    if view is not None and len(target) > 1:
        raise typer.BadParameter("--view names one view: give one --target with it")
    with TransferGraph() as tg:
        built = tg.graph_build(
            target, view=view, thresholds=threshold, runs=runs.value, aggregate=aggregate.value,
            pretrained=pretrained, logme=logme,
        )  # fmt: skip
    emit(built.records(), fmt, columns=BUILD_COLUMNS, ids=("view",), wide=wide,
         secondary=("accuracy_edge", "similarity_edge", "transfer_edge", "pretrained_edge"))  # fmt: skip


@app.command()
def stats(
    view: str = typer.Option("all", "--view", help="Which view."),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Per modality: nodes, average degree, dataset-dataset and model-dataset edges of a view.

    Example: tg graph stats --format json
    """
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        per_modality = tg.graph_stats(view).records()
    if fmt is not Format.table:
        emit(per_modality, fmt)
        return
    rows = stats_rows(per_modality)
    emit(rows, fmt, title=f"view {view}", ids=("property",), wide=wide)


def stats_rows(per_modality: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per property, one column per modality, the paper's figure beside ours."""
    rows = []
    for key in [k for k in per_modality[0] if k not in ("modality", "view", "paper")] if per_modality else []:
        row: dict[str, Any] = {"property": key}
        for m in per_modality:
            row[m["modality"]] = m[key]
            paper = (m["paper"] or {}).get(key.removesuffix("_pos"))
            row[f"{m['modality']} (paper)"] = "" if paper is None else paper
        rows.append(row)
    return rows


@app.command("views")
def list_views(fmt: Format = FormatOpt, wide: bool = WideOpt) -> None:
    """The views that exist and how each was built."""
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        rows = [v.properties for v in tg.graph_views()]
    if fmt is Format.table:  # a person scans for the day and minute; json/csv keep the timestamp
        for row in rows:
            row["built"] = minute(row.get("built_at"))
    emit(rows, fmt, columns=VIEW_COLUMNS, ids=("name", "target"),
         secondary=("modality", "edges", "built", "target"), wide=wide)  # fmt: skip


@app.command()
def drop(view: str = typer.Argument(..., help="View name, as `tg graph views` lists it.")) -> None:
    """Remove a view's derived edges (raw facts are untouched)."""
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        removed = tg.graph_drop(view)
    print(f"dropped view {view!r} ({removed} derived edges)")
