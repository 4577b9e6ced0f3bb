"""`tg predict`: train a method on a view and write (:Model)-[:PREDICTED]->(:Dataset)."""

from __future__ import annotations

import typer

from transfergraph import config, db
from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt
from transfergraph.output import emit


def predict(
    view: str = typer.Option("all", "--view", help="View to train on ('all' = production)."),
    method: str = typer.Option(
        "xgb+none",
        "--method",
        "-m",
        help="REGRESSOR+EMBEDDING (lr, rf, xgb, xgb-rank + none, node2vec, node2vec-weighted, graphsage, "
        "gat; +EMBEDDING/concat: both raw vectors), logme-profile-history (training-free), or a "
        "baseline: model-prior, similarity-history, logme, reg-h-score, metadata-lr, best-source-accuracy.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the regressor and the embedding."),
    fmt: Format = FormatOpt,
) -> None:
    """Train on the view's training rows (label: per-dataset min-max accuracy) and predict every
    model of the modality on every dataset, replacing this (view, method)'s earlier predictions.

    Examples: tg predict; tg predict --view all --method xgb+node2vec
    """
    from transfergraph.predict.run import predict as run_predict

    settings = config.load()
    with db.connect(settings) as drv:
        emit(run_predict(drv, settings, view, method, seed=seed), fmt)
