"""An expected accuracy with an 80% interval beside each predicted score (issue 18, item 4).

A ranker's score is unitless. Here it becomes an accuracy the user can plan with, in two steps
calibrated on the known datasets, each scored without its own labels (`Ranker.training_scores`):
1. score -> normalised accuracy, a line fitted over the calibration datasets' models;
2. normalised -> accuracy: lo + span x normalised, where (lo, span) is the dataset's accuracy level.
   A dataset without runs takes the known datasets' mean level, so its interval carries the unknown
   level; its measured runs refit the level (one or two shift it, three or more refit the span too).
The interval is split-conformal: the 10% and 90% quantiles of accuracy minus prediction over the
calibration datasets' models (each dataset weighing the same), with the same number of runs
revealed as the dataset has (0, 1, 3 or 5: the nearest below). `studies/methods/run.py`
measures its coverage on held-out targets with these functions (docs/method.md, "Expected accuracy").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

COVERAGE = 0.8
MIN_MODELS = 20  # measured models a known dataset needs to calibrate on
MIN_DATASETS = 3  # calibration datasets needed before an interval is shown
SHOTS = (0, 1, 3, 5)  # runs revealed while calibrating; a dataset uses the nearest below its own count
DRAWS = 5  # seeded reveals per calibration dataset and number of runs


def fit_level(
    predicted: pd.Series, revealed: pd.Series, prior_lo: float, prior_span: float, slope_ridge: float = 0.1
) -> tuple[float, float]:
    """(lo, span) of a dataset's accuracy = lo + span * normalised prediction, from its revealed runs
    (model -> accuracy). No run: the known datasets' mean level. One or two runs: the span stays at
    its prior, the level shifts to fit. Three or more: the span too, by ridge towards its prior."""
    models = [m for m in revealed.index if m in predicted.index and not math.isnan(predicted[m])]
    return _level(predicted[models].to_numpy(float), revealed[models].to_numpy(float), prior_lo, prior_span,
                  slope_ridge)  # fmt: skip


def _level(
    p: np.ndarray, a: np.ndarray, prior_lo: float, prior_span: float, slope_ridge: float = 0.1
) -> tuple[float, float]:
    """`fit_level` on aligned arrays: predictions and accuracies of the revealed models."""
    if not len(p):
        return prior_lo, prior_span
    span = prior_span
    if len(p) >= 3:
        pc = p - p.mean()
        span = float((pc @ (a - a.mean()) + slope_ridge * prior_span) / (pc @ pc + slope_ridge))
    return float(np.mean(a - span * p)), span


def conformal_offsets(
    residuals: dict[str, np.ndarray], coverage: float = COVERAGE, finite_sample: bool = False
) -> tuple[float, float]:
    """Split-conformal (lower, upper) offsets of accuracy - prediction, each calibration dataset
    weighing the same (its residuals share one unknown level, so datasets are the exchangeable
    units): the (1 - coverage)/2 and (1 + coverage)/2 quantiles of the pooled residuals, each
    residual weighted 1 / its dataset's count. `finite_sample` widens both tails by the usual
    (n + 1) / n step over n datasets (measured: it over-covers, so it is off by default)."""
    parts = [r[~np.isnan(r)] for r in residuals.values()]
    parts = [r for r in parts if len(r)]
    if len(parts) < 2:
        raise ValueError("need residuals of at least two calibration datasets")
    values = np.concatenate(parts)
    weights = np.concatenate([np.full(len(r), 1.0 / len(r)) for r in parts])
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order]) / weights.sum()
    inner = (1.0 + coverage) / 2.0
    if finite_sample:
        inner = min(1.0, inner * (len(parts) + 1) / len(parts))
    last = len(values) - 1
    lo = values[min(int(np.searchsorted(cum, 1.0 - inner, side="left")), last)]
    hi = values[min(int(np.searchsorted(cum, inner, side="left")), last)]
    return float(lo), float(hi)


@dataclass(frozen=True)
class Calibration:
    """What turns one ranker's scores into accuracies with an interval, for one modality."""

    a: float  # normalised accuracy ~ a + b * score
    b: float
    lo: float  # the known datasets' mean accuracy level
    span: float
    offsets: dict[int, tuple[float, float]]  # runs revealed -> (low, high) offsets of the accuracy

    def interval(self, scores: pd.Series, measured: pd.Series) -> pd.DataFrame:
        """Per model of `scores` (model -> score, unique): expected accuracy, low, high; `measured`
        (model -> accuracy) are the dataset's own runs, which fix its level."""
        predicted = self.a + self.b * scores.to_numpy(float)
        at = scores.index.get_indexer(measured.index)
        found = measured.to_numpy(float)[at >= 0]
        at = at[at >= 0]
        usable = ~np.isnan(predicted[at])
        lo, span = _level(predicted[at[usable]], found[usable], self.lo, self.span)
        k = max(s for s in SHOTS if s <= len(measured))
        low, high = self.offsets[k]
        point = lo + span * predicted
        # an accuracy lies in [0, 1]: clipping the band there can only raise its coverage
        return pd.DataFrame(
            {"expected": np.clip(point, 0, 1), "low": np.clip(point + low, 0, 1),
             "high": np.clip(point + high, 0, 1)},
            index=scores.index,
        )  # fmt: skip


def calibrate(
    honest: pd.DataFrame, labels: pd.DataFrame, levels: pd.DataFrame
) -> tuple[Calibration | None, str]:
    """(calibration, "") or (None, why). `honest`: models x known datasets, the ranker's score of each
    dataset's models without its own labels; `labels`: models x known datasets, normalised accuracy;
    `levels`: known dataset -> lo, span of its accuracy (every known dataset: their mean is the level
    a dataset without runs is given)."""
    counts = labels.notna().sum()
    known = [d for d in labels.columns if counts[d] >= MIN_MODELS and d in honest and d in levels.index]
    if len(known) < MIN_DATASETS:
        return None, (
            f"too thin to calibrate an interval: {len(known)} known datasets with {MIN_MODELS} measured "
            f"models, {MIN_DATASETS} needed"
        )
    x = np.concatenate([honest[d].reindex(labels.index).to_numpy(float) for d in known])
    y = np.concatenate([labels[d].to_numpy(float) for d in known])
    ok = ~np.isnan(x) & ~np.isnan(y)
    if ok.sum() < 3 or np.ptp(x[ok]) == 0:
        return None, "too thin to calibrate an interval: the ranker's scores do not vary"
    b, a = np.polyfit(x[ok], y[ok], 1)
    lo_of, span_of = levels["lo"].astype(float), levels["span"].astype(float)
    accuracy = {d: (lo_of[d] + span_of[d] * labels[d].astype(float)).dropna() for d in known}
    offsets: dict[int, tuple[float, float]] = {}
    aligned = {}  # per dataset: predictions and accuracies of its measured models, in model order
    for d in known:
        predicted = (a + b * honest[d]).dropna()
        actual = accuracy[d][accuracy[d].index.isin(predicted.index)]
        aligned[d] = predicted[actual.index].to_numpy(float), actual.to_numpy(float)
    for k in SHOTS:
        residuals: dict[str, np.ndarray] = {}
        for d in known:
            others = levels.drop(index=d)
            prior_lo, prior_span = others["lo"].mean(), others["span"].mean()
            p, y = aligned[d]
            found = []
            for draw in range(DRAWS if k else 1):
                # the models pandas' Series.sample(k, random_state=draw) reveals
                shown = (
                    np.random.RandomState(draw).choice(len(y), min(k, len(y)), replace=False)
                    if k
                    else np.zeros(0, dtype=np.int64)
                )
                lo, span = _level(p[shown], y[shown], prior_lo, prior_span)
                rest = np.ones(len(y), dtype=bool)
                rest[shown] = False
                found.append(y[rest] - (lo + span * p[rest]))
            residuals[d] = np.concatenate(found)
        offsets[k] = conformal_offsets(residuals)
    mean = levels.mean()
    return Calibration(float(a), float(b), float(mean["lo"]), float(mean["span"]), offsets), ""
