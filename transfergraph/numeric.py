"""Small numeric helpers shared by the rankers and the evaluation: one definition each."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

Values = Any  # a sequence of floats: list, numpy array or pandas Series


def arrays(actual: Values, score: Values) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(actual, dtype=float)
    s = np.asarray(score, dtype=float)
    if x.shape != s.shape or x.ndim != 1:
        raise ValueError(f"actual and score must be 1-d and of equal length, got {x.shape} and {s.shape}")
    if np.isnan(x).any() or np.isnan(s).any():
        raise ValueError("metrics need finite values (drop unscored models first)")
    return x, s


def pearson(actual: Values, score: Values) -> float:
    x, s = arrays(actual, score)
    if len(x) < 2 or x.std() == 0 or s.std() == 0:
        return math.nan
    return float(np.corrcoef(x, s)[0, 1])


def zscore(values: pd.Series) -> pd.Series:
    """(v - mean) / sd with pandas' sample sd; all zeros when the sd is zero or undefined."""
    sd = values.std()
    return (values - values.mean()) / sd if sd and not math.isnan(sd) else values * 0.0


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their mean rank (as scipy.stats.rankdata's default)."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    uniques, inverse = np.unique(values, return_inverse=True)
    sums = np.bincount(inverse, weights=ranks, minlength=len(uniques))
    counts = np.bincount(inverse, minlength=len(uniques))
    return (sums / counts)[inverse]
