"""`tg embed`: node embeddings of views (Node2Vec in GDS, GraphSAGE / GAT in PyG), and their list.

`tg embed --method M [--view V ...]` embeds; `tg embed list` shows what is stored. One group whose
callback runs the embedding when no sub-command is given, so both spellings work.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from transfergraph.choices import EmbedMethod, Format
from transfergraph.cli.options import FormatOpt, WideOpt
from transfergraph.output import emit, minute

# What a person scans for in 80 columns; --format json|csv has seed, seconds and the full timestamp.
EMBED_COLUMNS = {
    "view": "view",
    "method": "method",
    "modality": "modality",
    "nodes": "nodes",
    "dim": "dim",
    "auc": "AUC",
    "created": "created",
}


def _table_rows(rows: list[dict[str, Any]], fmt: Format) -> list[dict[str, Any]]:
    if fmt is not Format.table:
        return rows
    return [
        {
            **r,
            "auc": None if r.get("auc") is None else round(r["auc"], 3),
            "created": minute(r.get("created_at")),
        }
        for r in rows
    ]


def _emit(rows: list[dict[str, Any]], fmt: Format, wide: bool) -> None:
    """Embedding runs as `tg embed` and `tg embed list` print them."""
    emit(_table_rows(rows, fmt), fmt, columns=EMBED_COLUMNS, ids=("view", "method"),
         secondary=("modality", "auc", "nodes", "created", "dim"), wide=wide)  # fmt: skip


app = typer.Typer(
    help="Embed views' nodes (tg embed --method node2vec --view all) and list stored embeddings.",
    invoke_without_command=True,
)


@app.callback()
def run(
    ctx: typer.Context,
    method: EmbedMethod | None = typer.Option(None, "--method", "-m", help="Embedding method."),
    view: list[str] = typer.Option([], "--view", help="View to embed (repeatable; default: all)."),
    all_views: bool = typer.Option(False, "--all-views", help="Embed every view that exists."),
    dim: int = typer.Option(128, "--dim", min=1, help="Vector dimension."),
    seed: int = typer.Option(0, "--seed", help="Random seed (walks, splits, initial weights)."),
    holdout: float | None = typer.Option(
        None,
        "--holdout",
        help="Fraction of positive model-dataset edges hidden for the link-prediction AUC "
        "(node2vec default 0: none; GNN default 0.1).",
    ),
    epochs: int | None = typer.Option(
        None, "--epochs", min=1, help="Node2Vec iterations (default 10); GNN epoch limit (default 300)."
    ),
    walk_length: int | None = typer.Option(
        None, "--walk-length", min=2, help="Node2Vec: nodes per walk (10)."
    ),
    walks_per_node: int | None = typer.Option(None, "--walks-per-node", min=1, help="Node2Vec: walks (10)."),
    window: int | None = typer.Option(None, "--window", min=2, help="Node2Vec: context window (10)."),
    p: float | None = typer.Option(None, "--p", help="Node2Vec return factor p (1)."),
    q: float | None = typer.Option(None, "--q", help="Node2Vec in-out factor q (1)."),
    concurrency: int | None = typer.Option(
        None, "--concurrency", min=1, help="Node2Vec threads in GDS (1: reproducible with --seed)."
    ),
    lr: float | None = typer.Option(None, "--lr", help="GNN: Adam learning rate (0.01)."),
    patience: int | None = typer.Option(None, "--patience", min=1, help="GNN: early-stopping epochs (30)."),
    validation: float | None = typer.Option(
        None, "--validation", help="GNN: validation edge fraction (0.1)."
    ),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Embed the nodes of one or more views; re-running replaces what (view, method) had stored.

    Examples: tg embed --method node2vec; tg embed --method graphsage --all-views --seed 1;
    tg embed list --format json
    """
    if ctx.invoked_subcommand is not None:
        return
    if method is None:
        raise typer.BadParameter("give --method (node2vec, node2vec-weighted, graphsage, gat) or use `list`")
    given = {
        "holdout": holdout,
        "epochs": epochs,
        "walk_length": walk_length,
        "walks_per_node": walks_per_node,
        "window": window,
        "p": p,
        "q": q,
        "concurrency": concurrency,
        "lr": lr,
        "patience": patience,
        "validation": validation,
    }
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        done = tg.embed(
            method.value,
            views=list(view) or None,
            all_views=all_views,
            dim=dim,
            seed=seed,
            show_progress=True,
            **given,
        )
    rows = []
    for run_row in done:
        if run_row.auc is not None:
            where = f"{method.value} {run_row.view} {run_row.modality}"
            print(f"{where}: held-out link-prediction AUC {run_row.auc:.3f}", file=sys.stderr)
        rows.append({k: v for k, v in run_row.record().items() if k != "auc" or v is not None})
    _emit(rows, fmt, wide)


@app.command("list")
def list_embeddings(fmt: Format = FormatOpt, wide: bool = WideOpt) -> None:
    """One row per stored embedding: view, method, modality, nodes, dim, seed, seconds, created_at."""
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        rows = tg.embeddings().records()
    _emit(rows, fmt, wide)
