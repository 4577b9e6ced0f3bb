"""Training-free transferability scores of features for labels (docs/method.md, "Transferability scores").

The names in `METRICS` are the ones stored on TRANSFERABILITY edges, so a score computed here for a
user's dataset sits beside the paper's. Pure numpy in float64 and deterministic: the same features
and labels always give the same score.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from transfergraph.errors import TGError

# Guards the reference adds to the fixed-point denominators (a class the features cannot reach
# would otherwise divide by zero); kept so scores stay comparable to the stored ones.
EPSILON = 1e-5
MAX_STEPS = 11
TOLERANCE = 1e-3  # stop when |change of alpha/beta| / (alpha/beta) <= this
# Squared singular values below this fraction of the largest count as zero (rounding noise of
# the Gram matrix is ~1e-13 of it; a near-zero direction changes the evidence by ~sigma/(alpha/beta)).
RANK_TOLERANCE = 1e-10


def _inputs(
    features: np.ndarray, labels: np.ndarray, metric: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features as float64, labels, the classes present), or one line on what is wrong."""
    f = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    if f.ndim != 2:
        raise TGError(f"{metric}: features must be a 2-d array (samples x dimensions), got shape {f.shape}")
    if y.ndim != 1 or y.shape[0] != f.shape[0]:
        raise TGError(f"{metric}: labels of shape {y.shape} do not match {f.shape[0]} feature rows")
    if y.dtype.kind not in "iub":
        raise TGError(f"{metric}: labels must be integer class ids, got dtype {y.dtype}")
    if f.shape[0] < 2:
        raise TGError(f"{metric} needs at least 2 samples, got {f.shape[0]}")
    if f.shape[1] == 0:
        raise TGError(f"{metric}: features have no dimensions")
    if not np.isfinite(f).all():
        raise TGError(f"{metric}: features contain NaN or infinite values")
    classes = np.unique(y)
    if classes.size < 2:
        raise TGError(f"{metric} needs at least 2 classes, got only class {classes[0]} in {y.size} samples")
    return f, y, classes


def _spectrum(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-zero squared singular values sigma of F (n x d) and the matching left singular vectors U
    (n x k, k = rank <= min(n, d)), computed in the space of min(n, d)."""
    n, d = f.shape
    if n > d:  # eigen-decompose the d x d Gram matrix: U = F V / s
        lam, v = np.linalg.eigh(f.T @ f)
        lam, v = lam[::-1], v[:, ::-1]
        keep = lam > max(lam[0], 0.0) * RANK_TOLERANCE
        sigma = lam[keep]
        u = (f @ v[:, keep]) / np.sqrt(sigma)
        return sigma, u
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    sigma = s**2
    keep = sigma > sigma[0] * RANK_TOLERANCE
    return sigma[keep], u[:, keep]


def _posterior_terms(
    sigma: np.ndarray, x2: np.ndarray, rest: float, lam: float
) -> tuple[float, float, float]:
    """gamma, |m|^2 and |t - F m|^2 of the posterior mean m at alpha/beta = lam, from the spectrum:
    x2 = (U^T t)^2, rest = the part of |t|^2 outside F's column space."""
    gamma = float((sigma / (sigma + lam)).sum())
    m2 = float((sigma * x2 / (sigma + lam) ** 2).sum())
    res2 = float((x2 * (lam / (sigma + lam)) ** 2).sum()) + rest
    return gamma, m2, res2


def _class_evidence(t: np.ndarray, u: np.ndarray, sigma: np.ndarray, d: int) -> float:
    """Maximum log-evidence per sample, L_c / N, of the Bayesian linear model t = F w + ε."""
    n = t.shape[0]
    k = sigma.shape[0]
    x2 = (u.T @ t) ** 2
    rest = max(float(t @ t) - float(x2.sum()), 0.0)
    alpha, beta = 1.0, 1.0
    for _ in range(MAX_STEPS):
        lam = alpha / beta
        gamma, m2, res2 = _posterior_terms(sigma, x2, rest, lam)
        alpha = gamma / (m2 + EPSILON)
        beta = (n - gamma) / (res2 + EPSILON)
        # alpha = 0 only when F has no non-zero direction (k = 0): nothing is left to fit
        if alpha == 0 or abs(alpha / beta - lam) / lam <= TOLERANCE:
            break
    # The evidence at the final (alpha, beta) with *its* posterior mean: the exact log-density of t
    # under N(0, FF^T / alpha + I / beta). (The reference reuses the previous step's m here, a
    # second-order difference.) The d x d log-determinant counts the d - k zero singular values as
    # log(alpha) each (the reference drops them, wrong when N < D), so the d/2 log(alpha) term leaves
    # k/2 log(alpha); with k = 0 (all-zero features) nothing depends on alpha, which is then 0.
    _, m2, res2 = _posterior_terms(sigma, x2, rest, alpha / beta)
    log_alpha_terms = k / 2.0 * np.log(alpha) if k else 0.0
    evidence = (
        log_alpha_terms
        + n / 2.0 * np.log(beta)
        - 0.5 * float(np.log(alpha + beta * sigma).sum())
        - beta / 2.0 * res2
        - alpha / 2.0 * m2
        - n / 2.0 * np.log(2 * np.pi)
    )
    return float(evidence) / n


def logme(features: np.ndarray, labels: np.ndarray) -> float:
    """LogME (You et al. 2021; docs/method.md): mean over classes of the per-sample maximum
    log-evidence of a Bayesian linear regression from the features to the class indicator.
    Higher is better; a per-sample log-density, so it is comparable across dataset sizes.
    Equals the reference (thuml/LogME) to ~1e-9 when N > D; when N <= D the reference leaves out
    log(alpha) for the zero singular values and is not the evidence, this is."""
    f, y, classes = _inputs(features, labels, "LogME")
    sigma, u = _spectrum(f)
    d = f.shape[1]
    return float(np.mean([_class_evidence((y == c).astype(np.float64), u, sigma, d) for c in classes]))


def _ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf shrunk covariance and its shrinkage for centred rows `x` (n x p), as
    sklearn.covariance.ledoit_wolf computes them (empirical covariance with 1/n)."""
    n, p = x.shape
    emp = x.T @ x / n
    if p == 1:
        return emp, 0.0
    x2 = x**2
    emp_trace = x2.sum(axis=0) / n
    mu = float(emp_trace.sum()) / p
    beta_ = float((x2.sum(axis=1) ** 2).sum())  # = Σ (X²ᵀ X²)_ij
    delta_ = float((emp**2).sum())  # = Σ (XᵀX)_ij² / n²
    beta = (beta_ / n - delta_) / (p * n)
    delta = (delta_ - 2.0 * mu * float(emp_trace.sum()) + p * mu**2) / p
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else beta / delta
    cov = (1.0 - shrinkage) * emp
    cov.flat[:: p + 1] += shrinkage * mu
    return cov, shrinkage


def reg_h_score(features: np.ndarray, labels: np.ndarray) -> float:
    """Regularised H-score (Ibrahim et al. 2022; docs/method.md): how much of the features'
    (shrunk) covariance the class means explain, trace(pinv(S) (1 - a) cov(E[f | y])) with S the
    Ledoit-Wolf covariance of shrinkage a. Higher is better. Follows the reference hscore_reg:
    features centred, cov(G) the unbiased np.cov of the rows replaced by their class mean."""
    f, y, classes = _inputs(features, labels, "Reg-H-Score")
    f = f - f.mean(axis=0, keepdims=True)
    cov_alpha, shrinkage = _ledoit_wolf(f)
    g = np.empty_like(f)
    for c in classes:
        rows = y == c
        g[rows] = f[rows].mean(axis=0)
    cov_g = np.atleast_2d(np.cov(g, rowvar=False))
    precision = np.linalg.pinv(cov_alpha, rcond=1e-15)
    # trace(P · C) without the product: Σ_ij P_ij C_ji
    return float((1.0 - shrinkage) * (precision * cov_g.T).sum())


Metric = Callable[[np.ndarray, np.ndarray], float]

METRICS: dict[str, Metric] = {"LogME": logme, "Reg-H-Score": reg_h_score}
