"""Stored embeddings, keyed by (view, method): one (:EmbeddingRun) per modality, vectors on EMBEDS.

`(:EmbeddingRun {view, method, modality, nodes, dim, seed, seconds, created_at, auc, ...})
-[:EMBEDS {vector}]->(:Model|:Dataset)`. For the production view the vector is also a node
property (`embedding_<method>`) so the Browser shows it and a vector index serves
`cypher/explore/similar_models.cypher`. `tg graph drop` / `tg graph build` of a view remove its
runs (cypher/graph/clear_view.cypher), a re-run replaces them (embed/clear).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import neo4j

from transfergraph import views
from transfergraph.choices import EmbedMethod
from transfergraph.cypher import statements
from transfergraph.db import run
from transfergraph.results import Record, Table

BATCH = 200  # vectors per write transaction: ~200 x 128 floats keeps each transaction small


def node_property(view: str, method: EmbedMethod) -> str | None:
    """The node property that carries the production view's vector (None for other views)."""
    return f"embedding_{method.value.replace('-', '_')}" if view == views.PRODUCTION else None


@dataclass
class Embedded:
    """The vectors of one modality of a view, ready to store."""

    modality: str
    keys: list[tuple[str, str]]  # (label, id) per row of `vectors`
    vectors: list[list[float]]
    options: dict[str, Any] = field(default_factory=dict)
    auc: float | None = None
    seconds: float = 0.0  # compute time; write time is added when stored


def clear(drv: neo4j.Driver, view: str, method: EmbedMethod) -> int:
    return int(run(drv, "embed/clear", view=view, method=method.value)[0]["removed"])


def save(
    drv: neo4j.Driver,
    view: str,
    method: EmbedMethod,
    results: Sequence[Embedded],
    *,
    dim: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Replace (view, method)'s stored embeddings by `results`; one summary row per modality."""
    prop = node_property(view, method)
    clear(drv, view, method)
    rows = []
    for result in results:
        started = time.perf_counter()
        run_id = run(
            drv,
            "embed/run",
            view=view,
            method=method.value,
            modality=result.modality,
            dim=dim,
            seed=seed,
            options=result.options,
            auc=result.auc,
            node_property=prop,
        )[0]["run"]
        for start in range(0, len(result.keys), BATCH):
            batch = [
                {"label": label, "id": key, "vector": [float(v) for v in vector]}
                for (label, key), vector in zip(
                    result.keys[start : start + BATCH], result.vectors[start : start + BATCH], strict=True
                )
            ]
            run(drv, "embed/write", run=run_id, rows=batch, node_property=prop)
            if progress is not None:
                progress(len(batch))
        seconds = round(result.seconds + time.perf_counter() - started, 3)
        done = run(drv, "embed/finish", run=run_id, seconds=seconds)[0]
        row = {
            "view": view,
            "method": method.value,
            "modality": result.modality,
            "nodes": done["nodes"],
            "dim": dim,
            "seed": seed,
            "seconds": seconds,
            "created_at": done["created_at"],
        }
        if result.auc is not None:
            row["auc"] = round(result.auc, 4)
        rows.append(row)
    if prop is not None:
        ensure_index(drv, prop)
    return rows


def ensure_index(drv: neo4j.Driver, prop: str) -> None:
    """Create the vector index on Model.<prop> if missing and wait for it to be online."""
    for name, text in statements("embed/vector_index"):
        if name == prop:
            drv.execute_query(text)
    run(drv, "embed/await_index")


@dataclass(frozen=True)
class EmbeddingRun(Record):
    """One stored embedding: a (view, method, modality), its size and, with held-out edges, the
    link-prediction AUC."""

    view: str
    method: str
    modality: str
    nodes: int
    dim: int
    seed: int
    seconds: float
    created_at: Any
    auc: float | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> EmbeddingRun:
        return cls(**{f: row.get(f) for f in cls.__dataclass_fields__})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Embeddings(Table[EmbeddingRun]):
    """Stored embeddings, one row per (view, method, modality)."""


def listing(drv: neo4j.Driver) -> list[dict[str, Any]]:
    return run(drv, "embed/listing")


def vectors(drv: neo4j.Driver, view: str, method: EmbedMethod) -> dict[tuple[str, str], list[float]]:
    return {
        (r["label"], r["id"]): list(r["vector"])
        for r in run(drv, "embed/vectors", view=view, method=method.value)
    }
