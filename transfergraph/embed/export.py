"""The view's subgraph out of Neo4j in a few bulk queries: edges, nodes with metadata, distances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j

from transfergraph.db import run


@dataclass
class Subgraph:
    """One modality of a view: every derived edge (positive, negative, similarity) and its nodes."""

    modality: str
    edges: list[dict[str, Any]]  # rel, type, source_label, source, target, positive, weight
    nodes: list[dict[str, Any]]  # label, id, properties
    distances: list[tuple[str, str, float]]  # probe-model distance matrix, once per pair

    @property
    def positive(self) -> list[dict[str, Any]]:
        """Edges that walks and message passing use: positive model-dataset and similarity edges."""
        return [e for e in self.edges if e["positive"]]

    @property
    def negative(self) -> list[dict[str, Any]]:
        """Real negative model-dataset edges (runs that went badly)."""
        return [e for e in self.edges if not e["positive"]]


def edges(drv: neo4j.Driver, view: str, modality: str) -> list[dict[str, Any]]:
    return run(drv, "embed/edges", view=view, modality=modality)


def subgraph(drv: neo4j.Driver, view: str, modality: str) -> Subgraph:
    return Subgraph(
        modality=modality,
        edges=edges(drv, view, modality),
        nodes=run(drv, "embed/nodes", view=view, modality=modality),
        distances=[
            (r["a"], r["b"], float(r["distance"]))
            for r in run(drv, "embed/distances", view=view, modality=modality)
        ],
    )
