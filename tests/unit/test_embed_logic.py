"""Pure logic of `transfergraph.embed`: MDS, feature standardisation, AUC, hold-out, options (no server)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from transfergraph.choices import EmbedMethod
from transfergraph.embed import features, linkpred, resolve_options
from transfergraph.errors import TGError


def pairwise(points: np.ndarray) -> np.ndarray:
    return np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))


def test_classical_mds_recovers_euclidean_distances() -> None:
    points = np.random.default_rng(3).normal(size=(12, 4))
    coords = features.classical_mds(pairwise(points))
    assert coords.shape == (12, 4)  # rank 4: the other eigenvalues are zero and dropped
    np.testing.assert_allclose(pairwise(coords), pairwise(points), atol=1e-9)


def test_classical_mds_dims_keeps_the_largest_directions() -> None:
    points = np.zeros((6, 3))
    points[:, 0] = np.arange(6) * 10.0  # the dominant direction
    points[:, 1] = np.array([0, 1, 0, 1, 0, 1]) * 0.1
    coords = features.classical_mds(pairwise(points), dims=1)
    assert coords.shape == (6, 1)
    np.testing.assert_allclose(np.abs(np.diff(coords[:, 0])), 10.0, rtol=1e-3)


def test_distance_matrix_is_symmetric_and_fills_missing_pairs_with_the_mean() -> None:
    d = features.distance_matrix(["a", "b", "c"], [("a", "b", 2.0), ("b", "c", 4.0)])
    assert d[0, 1] == d[1, 0] == 2.0 and d[1, 2] == d[2, 1] == 4.0
    assert d[0, 2] == d[2, 0] == 3.0 and np.all(np.diag(d) == 0)


def test_standardise_z_scores_and_marks_missing_values() -> None:
    x, names = features.standardise({"a": [1.0, 2.0, 3.0, None], "const": [5.0, 5.0, 5.0, 5.0]})
    assert names == ["a", "a_missing", "const"]
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(x[:, 0].std(), 1.0)
    assert x[3, 0] == pytest.approx(0.0)  # the missing value sits at the mean
    assert x[3, 1] > 0 > x[0, 1]
    assert np.all(x[:, 2] == 0)  # a constant column carries nothing and must not divide by zero


def test_model_features_log_scale_and_rare_families_share_a_column() -> None:
    models = [
        {"num_parameters": 10**p, "memory_bytes": 4 * 10**p, "input_size": 224, "source_accuracy": 0.8,
         "model_type": t}
        for p, t in zip([6, 7, 8, 8, 9], ["vit", "vit", "vit", "bert", "deit"], strict=True)
    ]  # fmt: skip
    x, names = features.model_features(models)
    assert "family=vit" in names and "family=other" in names and "family=bert" not in names
    logp = x[:, names.index("log_parameters")]
    assert logp[1] - logp[0] > 0
    assert logp[1] - logp[0] == pytest.approx(logp[2] - logp[1])  # one decade, one step
    assert logp[2] == logp[3]
    assert np.all(x[:, names.index("input_size")] == 0)  # constant column: zeros, no division by zero


def test_dataset_features_mds_geometry_and_no_probe_indicator() -> None:
    points = np.random.default_rng(5).normal(size=(5, 2))
    ids = list("abcde")
    dist = [(ids[i], ids[j], float(pairwise(points)[i, j])) for i, j in itertools.combinations(range(5), 2)]
    datasets = [{"id": k, "num_samples": 1000 * (i + 1), "num_classes": 10} for i, k in enumerate(ids)]
    datasets.append({"id": "source-only", "num_samples": None, "num_classes": None})
    x, names = features.dataset_features(datasets, dist)
    mds = x[:5, [i for i, n in enumerate(names) if n.startswith("mds")]]
    ratio = pairwise(mds) / np.where(pairwise(points) > 0, pairwise(points), 1)
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(ratio[off], ratio[off][0], rtol=1e-9)  # one scale: geometry kept
    assert x[5, names.index("no_probe")] > 0 > x[0, names.index("no_probe")]


def test_node_matrix_puts_each_type_in_its_block() -> None:
    x = features.node_matrix(["Model", "Dataset", "Model"], np.array([[1.0], [2.0]]), np.array([[7.0, 8.0]]))
    np.testing.assert_array_equal(x, [[1, 0, 0, 1], [0, 7, 8, 0], [1, 0, 0, 2]])
    with pytest.raises(ValueError):
        features.node_matrix(["Model"], np.array([[1.0], [2.0]]), np.zeros((0, 2)))


def brute_auc(pos: list[float], neg: list[float]) -> float:
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_equals_the_pairwise_definition_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pos = list(rng.integers(0, 5, size=17).astype(float))
    neg = list(rng.integers(0, 5, size=11).astype(float))
    assert linkpred.auc(pos, neg) == pytest.approx(brute_auc(pos, neg))
    assert linkpred.auc([2.0, 3.0], [0.0, 1.0]) == 1.0
    assert linkpred.auc([0.0], [1.0]) == 0.0


def test_holdout_is_seeded_positive_model_dataset_only_and_free_of_order_and_ids() -> None:
    edges = [
        {"rel": f"r{i}", "type": "ACCURACY_EDGE", "source_label": "Model" if i % 4 else "Dataset",
         "source": f"s{i % 7}", "target": f"t{i}", "positive": i % 5 != 0}
        for i in range(200)
    ]  # fmt: skip
    eligible = {e["rel"] for e in edges if e["positive"] and e["source_label"] == "Model"}
    a = linkpred.holdout(edges, 0.1, seed=7)
    assert a == linkpred.holdout(list(reversed(edges)), 0.1, seed=7)
    assert set(a) <= eligible and len(a) == round(0.1 * len(eligible))
    assert a != linkpred.holdout(edges, 0.1, seed=8)
    assert linkpred.holdout(edges, 0.0, seed=7) == []
    # a rebuilt view: the same edges under new element ids, the ids in another order
    renamed = [{**e, "rel": f"x{199 - i}"} for i, e in enumerate(edges)]
    new_id = {e["rel"]: r["rel"] for e, r in zip(edges, renamed, strict=True)}
    assert linkpred.holdout(renamed, 0.1, seed=7) == [new_id[r] for r in a]


def test_options_are_checked_per_method() -> None:
    assert resolve_options(EmbedMethod.node2vec, {"walk_length": 20})["walk_length"] == 20
    assert resolve_options(EmbedMethod.gat, {})["holdout"] > 0
    with pytest.raises(TGError, match="no option lr"):
        resolve_options(EmbedMethod.node2vec, {"lr": 0.1})
    with pytest.raises(TGError, match="no option walk_length"):
        resolve_options(EmbedMethod.graphsage, {"walk_length": 5})
    with pytest.raises(TGError, match="holdout"):
        resolve_options(EmbedMethod.node2vec, {"holdout": 0.9})
