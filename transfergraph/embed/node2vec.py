"""Node2Vec in the server (GDS), through the `graphdatascience` client: no torch needed.

Per modality: project the view's positive and similarity edges undirected (cypher/embed/project),
check GDS's memory estimate, stream the vectors, drop the projection (also on error or Ctrl-C).
`node2vec-weighted` walks with transition probability proportional to the edge weight
(normalised accuracy / similarity): the paper's Node2Vec+ at p = q = 1 (docs/method.md, "Embeddings").
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import neo4j
import numpy as np
from neo4j.exceptions import ClientError

from transfergraph.choices import EmbedMethod
from transfergraph.config import Settings
from transfergraph.cypher import query
from transfergraph.db import run
from transfergraph.embed import linkpred
from transfergraph.embed.export import edges as export_edges
from transfergraph.embed.store import Embedded
from transfergraph.errors import TGError

if TYPE_CHECKING:  # the client costs ~1 s of imports: loaded only when Node2Vec runs
    from graphdatascience import GraphDataScience

# The paper's Node2Vec (docs/method.md, "Embeddings"): walks of 10 nodes, 10 per node, window 10, p = q = 1.
DEFAULTS: dict[str, Any] = {
    "walk_length": 10,
    "walks_per_node": 10,
    "window": 10,
    "p": 1.0,
    "q": 1.0,
    "epochs": 10,
    "concurrency": 1,  # 1 makes GDS Node2Vec reproducible with a seed
}


@contextmanager
def client(drv: neo4j.Driver, settings: Settings) -> Iterator[GraphDataScience]:
    """A GDS client on our driver (its notifications off, closed by us); no GDS plugin: one line."""
    try:
        from graphdatascience import GraphDataScience

        gds = GraphDataScience(drv, arrow=False, show_progress=False)
    except ClientError as e:
        if "gds" in (e.message or "").lower() or e.code.endswith("ProcedureNotFound"):
            raise TGError(
                f"Graph Data Science is not installed on {settings.bolt_uri}: Node2Vec runs in the "
                "server's GDS plugin (install GDS 2.13, or use --method graphsage/gat)"
            ) from None
        raise
    try:
        yield gds
    finally:
        gds.close()


def check_gds(drv: neo4j.Driver, settings: Settings) -> None:
    try:
        run(drv, "embed/gds_version")
    except ClientError:
        raise TGError(
            f"Graph Data Science is not installed on {settings.bolt_uri}: Node2Vec runs in the server's "
            "GDS plugin (install GDS 2.13, or use --method graphsage/gat)"
        ) from None


def gds_config(method: EmbedMethod, dim: int, seed: int, options: dict[str, Any]) -> dict[str, Any]:
    """The GDS Node2Vec configuration (client keyword names) for our options."""
    config: dict[str, Any] = {
        "embedding_dimension": dim,
        "walk_length": int(options["walk_length"]),
        "walks_per_node": int(options["walks_per_node"]),
        "window_size": int(options["window"]),
        "return_factor": float(options["p"]),
        "in_out_factor": float(options["q"]),
        "iterations": int(options["epochs"]),
        "random_seed": seed,
        "concurrency": int(options["concurrency"]),
    }
    if method is EmbedMethod.node2vec_weighted:
        config["relationship_weight_property"] = "weight"
    return config


def embed_modality(
    drv: neo4j.Driver,
    gds: GraphDataScience,
    view: str,
    modality: str,
    method: EmbedMethod,
    *,
    dim: int,
    seed: int,
    holdout: float,
    options: dict[str, Any],
) -> Embedded:
    """Vectors of every node touched by a projected edge of one modality of `view`.

    With `holdout` > 0, that fraction of positive model-dataset edges is left out of the
    projection and the AUC of their cosine scores against the real negative edges is returned.
    """
    started = time.perf_counter()
    all_edges = export_edges(drv, view, modality) if holdout > 0 else []
    hidden = linkpred.holdout(all_edges, holdout, seed) if holdout > 0 else []
    name = f"tg-embed-{uuid.uuid4().hex}"
    config = gds_config(method, dim, seed, options)
    try:
        projected = gds.graph.project.cypher(
            query("embed/project"), graph=name, view=view, modality=modality, hidden=hidden
        )
        graph = projected.graph
        if graph.relationship_count() == 0:
            raise TGError(f"view {view!r} has no {modality} edges to walk on")
        estimate = gds.node2vec.estimate(graph, **config)
        if estimate.heap_percentage_max > 100:
            raise TGError(
                f"GDS estimates Node2Vec on view {view!r} ({modality}) needs {estimate.required_memory}, "
                "more than the server's heap: raise TG_HEAP or lower --dim / --walks-per-node"
            )
        frame = gds.node2vec.stream(graph, log_progress=False, **config)
    finally:
        gds.graph.drop(name, fail_if_missing=False)
    ids = [int(i) for i in frame["nodeId"]]
    keys = {r["node"]: (r["label"], r["id"]) for r in run(drv, "embed/node_keys", ids=ids)}
    order = sorted(range(len(ids)), key=lambda i: keys[ids[i]])
    node_keys = [keys[ids[i]] for i in order]
    matrix = [list(map(float, frame["embedding"].iloc[i])) for i in order]
    result = Embedded(
        modality=modality,
        keys=node_keys,
        vectors=matrix,
        options={**{k: options[k] for k in DEFAULTS}, "holdout": holdout},
    )
    if hidden:
        result.auc = held_out_auc(
            dict(zip(node_keys, map(np.asarray, matrix), strict=True)), all_edges, hidden
        )
    result.seconds = time.perf_counter() - started
    return result


def held_out_auc(
    vectors: dict[tuple[str, str], np.ndarray], edges: list[dict[str, Any]], hidden: list[str]
) -> float | None:
    """Cosine AUC of the hidden positive edges against every real negative edge (none of which
    Node2Vec saw: negatives are never projected)."""
    hidden_set = set(hidden)
    pos = linkpred.score_pairs(vectors, [e for e in edges if e["rel"] in hidden_set])
    neg = linkpred.score_pairs(vectors, [e for e in edges if not e["positive"]])
    if pos.size == 0 or neg.size == 0:
        return None
    return linkpred.auc(pos, neg)
