"""`tg predict`: train a method on a view and write (:Model)-[:PREDICTED]->(:Dataset)."""

from __future__ import annotations

import typer

from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt, WideOpt
from transfergraph.output import emit


def predict(
    view: str = typer.Option("all", "--view", help="View to train on ('all' = production)."),
    method: str | None = typer.Option(
        None,
        "--method",
        "-m",
        help="Default: per modality, the best recorded by `tg evaluate`, else model-prior. "
        "REGRESSOR+EMBEDDING (lr, rf, xgb, xgb-rank + none, node2vec, node2vec-weighted, graphsage, "
        "gat; +EMBEDDING/concat: both raw vectors), logme-profile-history (training-free), or a "
        "baseline: model-prior, similarity-history, logme, reg-h-score, metadata-lr, best-source-accuracy.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the regressor and the embedding."),
    datasets: list[str] = typer.Option(
        [], "--dataset", "-d", help="Refresh: re-derive and re-predict only this dataset (repeatable)."
    ),
    top_k: int = typer.Option(
        100, "--top-k", min=1, help="Keep the K best untried (and K best tried) models per dataset."
    ),
    candidates: int = typer.Option(
        1000,
        "--candidates",
        min=1,
        help="Recall: per dataset, the C models with the best prior the method ranks.",
    ),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Train on the view's training rows (label: per-dataset min-max accuracy) and predict every
    model of the modality on every dataset, replacing this (view, method)'s earlier predictions.

    After new facts about one dataset (`tg dataset add`, `tg score`, `tg ingest runs`), `--dataset`
    refreshes only what they affect: its edges in the view and its predictions.

    Examples: tg predict; tg predict --view all --method xgb+node2vec; tg predict -d my_reviews
    """
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        done = tg.predict(
            method, view=view, seed=seed, datasets=datasets, top_k=top_k, candidates=candidates,
            show_progress=True,
        )  # fmt: skip
    rows = done.records()
    if fmt is not Format.table:
        emit(rows, fmt)
        return
    notes = [note for r in rows for note in r.pop("notes")]
    emit(
        rows,
        fmt,
        ids=("view", "method"),
        secondary=("predicted", "modality", "replaced", "missing_features", "few_shot"),
        wide=wide,
    )
    for note in notes:
        print(note)
