"""Ranking-quality metrics of one target (docs/method.md, "Evaluation").

Pure numpy/scipy: `actual` are a target's true accuracies, `score` the predicted scores of the
same models in the same order. Ties in the predicted order are broken by position (callers pass
models sorted by id), so every metric is deterministic.
"""

from __future__ import annotations

import math

import numpy as np

from transfergraph import numeric
from transfergraph.numeric import Values, pearson


def spearman(actual: Values, score: Values) -> float:
    x, s = numeric.arrays(actual, score)
    return pearson(numeric.ranks(x), numeric.ranks(s))


def weighted_kendall(actual: Values, score: Values) -> float:
    """scipy's weightedtau with its defaults (hyperbolic weigher, top-weighted), as the paper used."""
    from scipy.stats import weightedtau

    x, s = numeric.arrays(actual, score)
    if len(x) < 2:
        return math.nan
    return float(weightedtau(x, s).statistic)


def _order(s: np.ndarray) -> np.ndarray:
    """Indices by decreasing score; equal scores keep their input order."""
    return np.argsort(-s, kind="stable")


def top_k_regret(actual: Values, score: Values, k: int) -> float:
    """Best true accuracy minus the best true accuracy among the k top-scored models, in points
    (x100): what fine-tuning the top k instead of every model loses."""
    x, s = numeric.arrays(actual, score)
    if len(x) == 0:
        return math.nan
    return float((x.max() - x[_order(s)[:k]].max()) * 100.0)


def top1_regret(actual: Values, score: Values) -> float:
    """Best true accuracy minus the true accuracy of the top-scored model, in points (x100)."""
    return top_k_regret(actual, score, 1)


def ndcg_at(actual: Values, score: Values, k: int = 5) -> float:
    """NDCG@k with gains = the target's min-max normalised accuracy (raw accuracies all sit near 1,
    which would make every ranking look perfect)."""
    x, s = numeric.arrays(actual, score)
    if len(x) == 0 or x.max() == x.min():
        return math.nan
    gain = (x - x.min()) / (x.max() - x.min())
    discount = 1.0 / np.log2(np.arange(2, min(k, len(x)) + 2))
    dcg = float((gain[_order(s)[:k]] * discount).sum())
    ideal = float((np.sort(gain)[::-1][:k] * discount).sum())
    return dcg / ideal


def target_weight(actual: Values) -> float:
    """The paper's per-target weight: max minus mean true accuracy (docs/method.md, "Evaluation")."""
    x = np.asarray(actual, dtype=float)
    return float(x.max() - x.mean())


def all_metrics(actual: Values, score: Values) -> dict[str, float]:
    return {
        "pearson": pearson(actual, score),
        "spearman": spearman(actual, score),
        "weighted_kendall": weighted_kendall(actual, score),
        "top1_regret": top1_regret(actual, score),
        "top3_regret": top_k_regret(actual, score, 3),
        "ndcg5": ndcg_at(actual, score, 5),
        "n_models": len(actual),
    }


def weighted_mean(values: Values, weights: Values) -> float:
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = ~np.isnan(v)
    if not ok.any() or w[ok].sum() == 0:
        return math.nan
    return float((v[ok] * w[ok]).sum() / w[ok].sum())
