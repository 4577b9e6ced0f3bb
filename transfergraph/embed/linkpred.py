"""Held-out link prediction: which edges to hide, and the AUC of scores on them (numpy only).

The question an embedding must answer for model selection is "will this model do well on this
dataset?", so the AUC compares held-out *positive* model-dataset edges with the view's real
*negative* model-dataset edges (runs that went badly), not with random node pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def auc(positive: Sequence[float] | np.ndarray, negative: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting 1/2.

    The Mann-Whitney rank formula, with average ranks for ties.
    """
    pos = np.asarray(positive, dtype=float)
    neg = np.asarray(negative, dtype=float)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("AUC needs at least one positive and one negative score")
    scores = np.concatenate([pos, neg])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(scores.size, dtype=float)
    sorted_scores = scores[order]
    i = 0
    while i < scores.size:
        j = i
        while j + 1 < scores.size and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    rank_sum = ranks[: pos.size].sum()
    return float((rank_sum - pos.size * (pos.size + 1) / 2.0) / (pos.size * neg.size))


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of two equally shaped matrices (0 for a zero vector)."""
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    denom = np.where(na * nb > 0, na * nb, 1.0)
    return np.asarray((a * b).sum(axis=1) / denom)


def is_model_dataset(edge: dict[str, Any]) -> bool:
    return bool(edge["source_label"] == "Model")


def edge_key(edge: dict[str, Any]) -> tuple[str, str, str, str]:
    """What an exported edge is, independent of the server's element ids, which a view rebuild
    reassigns: splits sorted by it depend on the graph's contents and the seed only."""
    return (edge["type"], edge["source_label"], edge["source"], edge["target"])


def holdout(edges: Sequence[dict[str, Any]], fraction: float, seed: int) -> list[str]:
    """elementIds of a seeded random `fraction` of the positive model-dataset edges.

    The edges are sorted by `edge_key` first, so the choice is the same for the same graph and seed
    whatever order the server returned them in and whatever ids it gave them.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"holdout fraction must be in [0, 1), got {fraction}")
    candidates = sorted((e for e in edges if e["positive"] and is_model_dataset(e)), key=edge_key)
    count = round(fraction * len(candidates))
    if count == 0:
        return []
    rng = np.random.default_rng(seed)
    return [candidates[i]["rel"] for i in sorted(rng.choice(len(candidates), size=count, replace=False))]


def score_pairs(vectors: dict[tuple[str, str], np.ndarray], edges: Sequence[dict[str, Any]]) -> np.ndarray:
    """Cosine of the two end vectors of each (model -> dataset) edge; edges with an end that has no
    vector are skipped (the caller counts what it scored)."""
    pairs = [
        (vectors[(e["source_label"], e["source"])], vectors[("Dataset", e["target"])])
        for e in edges
        if (e["source_label"], e["source"]) in vectors and ("Dataset", e["target"]) in vectors
    ]
    if not pairs:
        return np.zeros(0)
    return cosine(np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))
