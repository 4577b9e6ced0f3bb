"""LogME and Reg-H-Score against independent derivations (docs/method.md, "Transferability scores").

LogME is re-derived in the naive D-dimensional form (explicit posterior, no SVD) and its evidence
is the log-density of t under N(0, FF^T / alpha + I / beta); Reg-H-Score is recomputed with
sklearn's Ledoit-Wolf and numpy's pinv, as the reference hscore_reg does.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.covariance import ledoit_wolf

from transfergraph.errors import TGError
from transfergraph.transferability import METRICS, logme, reg_h_score

EPS = 1e-5  # the fixed-point denominators' guard, as in the reference


def naive_class_evidence(f: np.ndarray, t: np.ndarray) -> float:
    """The same fixed point in D dimensions, with A = alpha I + beta F^T F:
    m = beta A^-1 F^T t and gamma = D - alpha trace(A^-1)."""
    n, d = f.shape
    ftf, ftt = f.T @ f, f.T @ t
    alpha, beta = 1.0, 1.0
    for _ in range(11):
        lam = alpha / beta
        a = alpha * np.eye(d) + beta * ftf
        m = beta * np.linalg.solve(a, ftt)
        gamma = d - alpha * np.trace(np.linalg.inv(a))
        alpha = gamma / (m @ m + EPS)
        beta = (n - gamma) / (np.sum((t - f @ m) ** 2) + EPS)
        if abs(alpha / beta - lam) / lam <= 1e-3:
            break
    cov = f @ f.T / alpha + np.eye(n) / beta
    return float(multivariate_normal(mean=np.zeros(n), cov=cov).logpdf(t)) / n


def naive_logme(f: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean([naive_class_evidence(f, (y == c).astype(float)) for c in np.unique(y)]))


def naive_reg_h(f: np.ndarray, y: np.ndarray) -> float:
    f = f - f.mean(axis=0)
    cov, shrinkage = ledoit_wolf(f, assume_centered=False)
    g = np.zeros_like(f)
    for c in np.unique(y):
        g[y == c] = f[y == c].mean(axis=0)
    return float(
        np.trace(
            np.linalg.pinv(cov, rcond=1e-15) @ ((1 - shrinkage) * np.atleast_2d(np.cov(g, rowvar=False)))
        )
    )


def data(n: int, d: int, classes: int, signal: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed random features; `signal` adds a class-dependent offset so they carry the labels."""
    rng = np.random.default_rng(0)
    y = np.arange(n) % classes
    rng.shuffle(y)
    f = rng.normal(size=(n, d)) + signal * rng.normal(size=(classes, d))[y]
    return f, y


@pytest.mark.parametrize(
    ("n", "d", "classes", "signal"),
    [(80, 12, 3, 0.0), (80, 12, 3, 1.0), (25, 60, 2, 0.0), (25, 60, 4, 1.0), (30, 30, 3, 0.5)],
    ids=["N>D-noise", "N>D-signal", "N<D-noise", "N<D-signal", "N=D"],
)
def test_logme_matches_the_naive_evidence(n: int, d: int, classes: int, signal: float) -> None:
    f, y = data(n, d, classes, signal)
    assert logme(f, y) == pytest.approx(naive_logme(f, y), rel=1e-8, abs=1e-10)


def test_logme_of_rank_deficient_features() -> None:
    """Zero singular values count as log(alpha) in the D x D log-determinant (D = 20, rank 5)."""
    rng = np.random.default_rng(0)
    f = rng.normal(size=(40, 5)) @ rng.normal(size=(5, 20))
    y = np.arange(40) % 2
    assert logme(f, y) == pytest.approx(naive_logme(f, y), rel=1e-7)


@pytest.mark.parametrize(
    ("n", "d", "classes", "signal"), [(80, 12, 3, 0.0), (80, 12, 3, 1.0), (25, 60, 4, 1.0)]
)
def test_reg_h_score_matches_sklearn(n: int, d: int, classes: int, signal: float) -> None:
    f, y = data(n, d, classes, signal)
    assert reg_h_score(f, y) == pytest.approx(naive_reg_h(f, y), rel=1e-9, abs=1e-12)


def test_reg_h_score_with_gapped_labels_and_one_dimension() -> None:
    f, y = data(50, 6, 3, 1.0)
    gapped = np.array([3, 7, 9])[y]
    assert reg_h_score(f, gapped) == pytest.approx(reg_h_score(f, y), rel=1e-12)
    assert reg_h_score(f[:, :1], y) == pytest.approx(naive_reg_h(f[:, :1], y), rel=1e-9)


@pytest.mark.parametrize("name", sorted(METRICS))
@pytest.mark.parametrize(("n", "d"), [(90, 10), (30, 50)])
def test_features_that_separate_the_classes_score_higher(name: str, n: int, d: int) -> None:
    score = METRICS[name]
    informative, y = data(n, d, 3, signal=2.0)
    random, _ = data(n, d, 3, signal=0.0)
    assert score(informative, y) > score(random, y)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_scores_ignore_sample_order_and_label_names(name: str) -> None:
    score = METRICS[name]
    f, y = data(60, 8, 3, signal=1.0)
    order = np.random.default_rng(1).permutation(60)
    renamed = np.array([2, 0, 1])[y]
    assert score(f[order], y[order]) == pytest.approx(score(f, y), rel=1e-9)
    assert score(f, renamed) == pytest.approx(score(f, y), rel=1e-12)
    assert score(f, y) == score(f.copy(), y.copy())  # deterministic


def test_logme_of_all_zero_features_is_finite() -> None:
    """No direction to fit: the evidence of t under noise alone, not a log(0)."""
    y = np.arange(10) % 2
    assert np.isfinite(logme(np.zeros((10, 4)), y))
    assert reg_h_score(np.zeros((10, 4)), y) == 0.0


@pytest.mark.parametrize("name", sorted(METRICS))
@pytest.mark.parametrize(
    ("features", "labels", "message"),
    [
        (np.ones((5, 3)), np.zeros(5, dtype=int), "needs at least 2 classes, got only class 0 in 5 samples"),
        (np.ones((1, 3)), np.zeros(1, dtype=int), "needs at least 2 samples, got 1"),
        (np.ones((5, 3)), np.arange(4), r"labels of shape \(4,\) do not match 5 feature rows"),
        (np.ones(5), np.arange(5), "features must be a 2-d array"),
        (np.full((4, 2), np.nan), np.arange(4) % 2, "NaN or infinite"),
        (np.ones((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]), "labels must be integer class ids"),
    ],
    ids=["one-class", "one-sample", "mismatch", "1-d", "nan", "float-labels"],
)
def test_bad_inputs_are_one_line(name: str, features: np.ndarray, labels: np.ndarray, message: str) -> None:
    with pytest.raises(TGError, match=message) as e:
        METRICS[name](features, labels)
    assert str(e.value).startswith(name) and "\n" not in str(e.value)
