"""Node features for the GNNs: real metadata, never random vectors (docs/method.md, "Embeddings").

Datasets: a classical-MDS embedding of the probe-model distance matrix (the 768-d probe embeddings
are not public, but the matrix is exactly Euclidean-embeddable, so MDS recovers them up to a rigid
motion), plus log size and log class count. Models: log parameters, log memory, input size, source
accuracy and architecture family (one-hot). Every column is standardised; a missing value becomes
the column mean with a 0/1 missing indicator beside it, so "unknown" is visible to the network.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

# Architecture families seen fewer times than this share one "other" column (a one-off family
# gives the network a column it cannot learn from).
MIN_FAMILY = 3


def classical_mds(distances: np.ndarray, dims: int | None = None, tol: float = 1e-9) -> np.ndarray:
    """Coordinates whose Euclidean distances reproduce `distances` (Torgerson's classical MDS).

    Keeps the eigen-directions with positive eigenvalues (at most `dims`), largest first; signs are
    fixed (largest-magnitude coordinate positive) so the result does not depend on the eigensolver.
    """
    d = np.asarray(distances, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"a distance matrix must be square, got shape {d.shape}")
    n = d.shape[0]
    if n == 0:
        return np.zeros((0, 0))
    centre = np.eye(n) - np.full((n, n), 1.0 / n)
    gram = -0.5 * centre @ (d**2) @ centre
    values, vectors = np.linalg.eigh((gram + gram.T) / 2)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    scale = max(float(values[0]), 0.0) if n else 0.0
    keep = values > tol * max(scale, 1.0)
    if dims is not None:
        keep &= np.arange(n) < dims
    values, vectors = values[keep], vectors[:, keep]
    for j in range(vectors.shape[1]):
        if vectors[np.argmax(np.abs(vectors[:, j])), j] < 0:
            vectors[:, j] = -vectors[:, j]
    return vectors * np.sqrt(values)


def distance_matrix(ids: Sequence[str], pairs: Sequence[tuple[str, str, float]]) -> np.ndarray:
    """Square matrix over `ids` from (a, b, distance) pairs stored once per pair.

    A pair the matrix lacks is filled with the mean observed distance (the paper's matrices are
    complete; this only keeps MDS defined on a partial one).
    """
    index = {k: i for i, k in enumerate(ids)}
    n = len(ids)
    d = np.full((n, n), np.nan)
    np.fill_diagonal(d, 0.0)
    for a, b, dist in pairs:
        if a in index and b in index and a != b:
            d[index[a], index[b]] = d[index[b], index[a]] = dist
    observed = d[~np.isnan(d) & ~np.eye(n, dtype=bool)]
    fill = float(observed.mean()) if observed.size else 0.0
    d[np.isnan(d)] = fill
    return d


def standardise(columns: dict[str, list[float | None]]) -> tuple[np.ndarray, list[str]]:
    """Columns to a z-scored matrix; missing values -> mean plus a `<name>_missing` indicator column.

    A constant column becomes zeros (it carries no information and must not divide by zero).
    """
    out: list[np.ndarray] = []
    names: list[str] = []
    for name, values in columns.items():
        raw = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        missing = np.isnan(raw)
        if missing.all():
            continue
        mean = float(raw[~missing].mean())
        filled = np.where(missing, mean, raw)
        std = float(filled.std())
        out.append((filled - mean) / std if std > 0 else np.zeros_like(filled))
        names.append(name)
        if missing.any():
            indicator = missing.astype(float)
            out.append((indicator - indicator.mean()) / indicator.std())
            names.append(f"{name}_missing")
    if not out:
        return np.zeros((len(next(iter(columns.values()), [])), 0)), []
    return np.stack(out, axis=1), names


def _log(value: Any) -> float | None:
    return math.log10(float(value)) if value is not None and float(value) > 0 else None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def model_features(models: Sequence[dict[str, Any]]) -> tuple[np.ndarray, list[str]]:
    """Standardised model metadata: log parameters, log memory, input size, source accuracy, family."""
    numeric, names = standardise(
        {
            "log_parameters": [_log(m.get("num_parameters")) for m in models],
            "log_memory": [_log(m.get("memory_bytes")) for m in models],
            "input_size": [_number(m.get("input_size")) for m in models],
            "source_accuracy": [_number(m.get("source_accuracy")) for m in models],
        }
    )
    family = [str(m.get("model_type") or "unknown") for m in models]
    counts = Counter(family)
    kept = sorted(f for f, c in counts.items() if c >= MIN_FAMILY)
    columns: dict[str, list[float | None]] = {
        f"family={f}": [1.0 if x == f else 0.0 for x in family] for f in kept
    }
    if len(kept) < len(counts):
        columns["family=other"] = [0.0 if x in kept else 1.0 for x in family]
    onehot, onehot_names = standardise(columns)
    return np.concatenate([numeric, onehot], axis=1), names + onehot_names


def dataset_features(
    datasets: Sequence[dict[str, Any]], distances: Sequence[tuple[str, str, float]]
) -> tuple[np.ndarray, list[str]]:
    """MDS coordinates of the distance matrix (standardised jointly) plus log size and log classes.

    Datasets absent from the matrix (a source dataset without a probe embedding) get the mean
    coordinates and a `no_probe` indicator.
    """
    ids = [d["id"] for d in datasets]
    in_matrix = {x for a, b, _ in distances for x in (a, b)}
    present = [i for i in ids if i in in_matrix]
    coords = classical_mds(distance_matrix(present, distances)) if present else np.zeros((0, 0))
    width = coords.shape[1]
    mds = np.zeros((len(ids), width))
    if width:
        # One scale for all coordinates (dividing each by its own std would distort the geometry).
        centred = coords - coords.mean(axis=0)
        scale = float(np.sqrt((centred**2).sum(axis=1).mean())) or 1.0
        position = {k: i for i, k in enumerate(present)}
        for row, key in enumerate(ids):
            if key in position:
                mds[row] = centred[position[key]] / scale
    meta, meta_names = standardise(
        {
            "log_samples": [_log(d.get("num_samples")) for d in datasets],
            "log_classes": [_log(d.get("num_classes")) for d in datasets],
            "no_probe": [0.0 if k in in_matrix else 1.0 for k in ids],
        }
    )
    return np.concatenate([mds, meta], axis=1), [f"mds{j}" for j in range(width)] + meta_names


def node_matrix(labels: Sequence[str], model_x: np.ndarray, dataset_x: np.ndarray) -> np.ndarray:
    """One feature matrix for a homogeneous graph: [is_model | dataset block | model block].

    `labels` is 'Model' or 'Dataset' per node, in order; the blocks are filled in that order, the
    other type's block is zero.
    """
    n = len(labels)
    width = 1 + dataset_x.shape[1] + model_x.shape[1]
    x = np.zeros((n, width), dtype=np.float32)
    mi = di = 0
    for row, label in enumerate(labels):
        if label == "Model":
            x[row, 0] = 1.0
            x[row, 1 + dataset_x.shape[1] :] = model_x[mi]
            mi += 1
        else:
            x[row, 1 : 1 + dataset_x.shape[1]] = dataset_x[di]
            di += 1
    if mi != model_x.shape[0] or di != dataset_x.shape[0]:
        raise ValueError("labels do not match the feature blocks' row counts")
    return x
