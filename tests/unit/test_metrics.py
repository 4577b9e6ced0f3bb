"""Metrics against scipy and against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from transfergraph.evaluation import metrics

RNG = np.random.default_rng(7)
X = RNG.uniform(0.5, 1.0, 40)
S = X + RNG.normal(0, 0.1, 40)


def test_correlations_match_scipy() -> None:
    assert metrics.pearson(X, S) == pytest.approx(stats.pearsonr(X, S).statistic)
    assert metrics.spearman(X, S) == pytest.approx(stats.spearmanr(X, S).statistic)
    assert metrics.weighted_kendall(X, S) == pytest.approx(stats.weightedtau(X, S).statistic)


def test_spearman_with_ties_matches_scipy() -> None:
    x = np.array([0.9, 0.9, 0.8, 0.7, 0.7, 0.7, 0.5])
    s = np.array([3.0, 1.0, 1.0, 2.0, 0.5, 0.5, 0.1])
    assert metrics.spearman(x, s) == pytest.approx(stats.spearmanr(x, s).statistic)


def test_top1_regret_by_hand() -> None:
    # the top-scored model has 0.80, the best model 0.95: 15 points
    assert metrics.top1_regret([0.95, 0.80, 0.60], [0.2, 0.9, 0.1]) == pytest.approx(15.0)
    assert metrics.top1_regret([0.95, 0.80, 0.60], [0.9, 0.2, 0.1]) == 0.0
    # ties in the score: the first in input order wins (callers sort models by id)
    assert metrics.top1_regret([0.70, 0.90], [1.0, 1.0]) == pytest.approx(20.0)


def test_ndcg_by_hand() -> None:
    actual = [1.0, 0.5, 0.0]  # gains after min-max: 1, 0.5, 0
    assert metrics.ndcg_at(actual, [3, 2, 1], k=5) == pytest.approx(1.0)
    # order: 0.5, 1.0, 0.0 -> DCG = 0.5/log2(2) + 1/log2(3); ideal = 1 + 0.5/log2(3)
    expected = (0.5 + 1 / math.log2(3)) / (1 + 0.5 / math.log2(3))
    assert metrics.ndcg_at(actual, [2, 3, 1], k=5) == pytest.approx(expected)
    assert metrics.ndcg_at(actual, [1, 2, 3], k=1) == 0.0


def test_weights_and_weighted_mean() -> None:
    assert metrics.target_weight([0.9, 0.7, 0.5]) == pytest.approx(0.2)
    assert metrics.weighted_mean([0.5, 1.0], [1.0, 3.0]) == pytest.approx(0.875)
    assert metrics.weighted_mean([math.nan, 1.0], [1.0, 3.0]) == pytest.approx(1.0)


def test_degenerate_inputs() -> None:
    assert math.isnan(metrics.pearson([0.5, 0.5, 0.5], [1, 2, 3]))
    with pytest.raises(ValueError):
        metrics.pearson([0.5, 0.6], [1.0])
    with pytest.raises(ValueError):
        metrics.pearson([0.5, math.nan], [1.0, 2.0])
