"""Embedding a view (`embed`): Node2Vec in the server (GDS), GraphSAGE / GAT in PyTorch Geometric.

Each modality of a view is embedded separately (datasets and models of one modality form one
graph); the vectors are stored keyed by (view, method) (`store.py`). torch is imported only by the
GNN methods, inside functions, so the core install runs Node2Vec without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import neo4j

from transfergraph.choices import EmbedMethod
from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.embed import node2vec, store
from transfergraph.embed.store import Embedded
from transfergraph.errors import ParameterError, TGError

# Options per method family and their defaults (the paper's: docs/method.md, "Embeddings"). `holdout` is the
# fraction of positive model-dataset edges hidden for the link-prediction AUC (0: no AUC).
GNN_DEFAULTS: dict[str, Any] = {
    "epochs": 300,  # an upper bound: early stopping on the validation AUC ends training sooner
    "patience": 30,
    "lr": 0.01,
    "validation": 0.1,
    "holdout": 0.1,
    # uniform random node pairs per supervised positive edge, labelled 0 like the real negatives
    "random_negatives": 1.0,
}
OPTIONS: dict[EmbedMethod, dict[str, Any]] = {
    EmbedMethod.node2vec: {**node2vec.DEFAULTS, "holdout": 0.0},
    EmbedMethod.node2vec_weighted: {**node2vec.DEFAULTS, "holdout": 0.0},
    EmbedMethod.graphsage: dict(GNN_DEFAULTS),
    EmbedMethod.gat: dict(GNN_DEFAULTS),
}


def views(drv: neo4j.Driver) -> list[str]:
    return [r["name"] for r in run(drv, "embed/views")]


def resolve_options(method: EmbedMethod, options: dict[str, Any]) -> dict[str, Any]:
    """The method's defaults overridden by `options`; a name the method does not know is refused."""
    known = OPTIONS[method]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TGError(
            f"--method {method.value} has no option {', '.join(unknown)} "
            f"(it takes {', '.join(sorted(known))})"
        )
    merged = {**known, **{k: v for k, v in options.items() if v is not None}}
    if not 0.0 <= float(merged["holdout"]) < 0.5:
        raise ParameterError("holdout", f"must be in [0, 0.5), got {merged['holdout']}")
    return merged


def _modalities(drv: neo4j.Driver, view: str) -> list[str]:
    existing = views(drv)
    if view not in existing:
        listed = ", ".join(existing) if existing else "none: build one with `tg graph build`"
        raise TGError(f"no view named {view!r} (views: {listed})")
    found = [r["modality"] for r in run(drv, "embed/modalities", view=view) if r["edges"] > 0]
    if not found:
        raise TGError(f"view {view!r} has no positive or similarity edges: nothing to embed")
    return found


@contextmanager
def progress_bar(label: str, total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr when it is a terminal; otherwise a no-op callback."""
    if not enabled or not sys.stderr.isatty():
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def embed(
    drv: neo4j.Driver,
    settings: Settings,
    view: str,
    method: EmbedMethod,
    *,
    dim: int = 128,
    seed: int = 0,
    **options: Any,
) -> list[dict[str, Any]]:
    """Embed every modality of `view` with `method`, replacing what (view, method) had stored.

    Returns one summary row per modality: view, method, modality, nodes, dim, seed, seconds,
    created_at, plus auc when edges were held out. `show_progress=False` silences the bars.
    """
    method = EmbedMethod(method)
    show = bool(options.pop("show_progress", True))
    if dim < 1:
        raise ParameterError("dim", f"must be positive, got {dim}")
    opts = resolve_options(method, options)
    modalities = _modalities(drv, view)
    results: list[Embedded] = []
    if method.needs_torch:
        from transfergraph.embed import gnn  # torch stays unloaded until require_torch

        for modality in modalities:
            gnn.refuse_early(drv, view, modality, method, dim)
        gnn.require_torch()
        for modality in modalities:
            with progress_bar(
                f"{method.value} {view} {modality}: training", int(opts["epochs"]), show
            ) as tick:
                results.append(
                    gnn.embed_modality(
                        drv, view, modality, method, dim=dim, seed=seed, options=opts, tick=tick
                    )
                )
    else:
        node2vec.check_gds(drv, settings)
        with node2vec.client(drv, settings) as gds:
            for modality in modalities:
                results.append(
                    node2vec.embed_modality(
                        drv,
                        gds,
                        view,
                        modality,
                        method,
                        dim=dim,
                        seed=seed,
                        holdout=float(opts["holdout"]),
                        options=opts,
                    )
                )
    total = sum(len(r.keys) for r in results)
    with progress_bar(f"{method.value} {view}: writing vectors", total, show) as tick:
        return store.save(drv, view, method, results, dim=dim, seed=seed, progress=tick)


def vectors(drv: neo4j.Driver, view: str, method: EmbedMethod) -> dict[tuple[str, str], list[float]]:
    """Stored vectors of (view, method) keyed by (label, id), label 'Model' or 'Dataset'; {} if none."""
    return store.vectors(drv, view, EmbedMethod(method))


def listing(drv: neo4j.Driver) -> list[dict[str, Any]]:
    """One row per stored embedding: view, method, modality, nodes, dim, seed, seconds, created_at, auc."""
    return store.listing(drv)
