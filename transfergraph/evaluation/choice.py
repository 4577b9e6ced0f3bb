"""Which ranking `tg recommend` uses: a rule written down before the measurement that applies it.

RULE (also in `tg evaluate --help` and docs/method.md): the primary metric is top-3 regret, the points
of accuracy lost by fine-tuning the three top-ranked models instead of the best one: a user tries a
handful of candidates, it is in accuracy points, and it is less noisy than top-1 regret (one model's
run-to-run noise). The strongest baseline is the baseline scored on every target with the lowest
mean top-3 regret. A method replaces it as the recorded default only when, paired over the targets
both rank, (1) the 95% bootstrap interval of its top-3 regret minus the baseline's lies below zero,
and (2) no secondary metric is clearly worse: the interval of its top-1 regret difference is not
entirely above zero and that of its NDCG@5 difference not entirely below zero. Among methods that
qualify, the lowest mean top-3 regret difference wins. Otherwise the strongest baseline is used.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from transfergraph.errors import TGError

PRIMARY = "top3_regret"
# metric -> +1 when higher is better, -1 when lower is better
DIRECTION = {"top3_regret": -1, "top1_regret": -1, "ndcg5": +1, "spearman": +1, "pearson": +1}
SECONDARY = ("top1_regret", "ndcg5")
RESAMPLES = 10_000
LEVEL = 0.95


@dataclass(frozen=True)
class Paired:
    """A method minus a baseline on one metric, over the targets both rank (mean over seeds first)."""

    method: str
    baseline: str
    metric: str
    n_targets: int
    mean: float
    low: float  # the 95% bootstrap interval over targets
    high: float

    @property
    def better(self) -> bool:
        """Significantly better: the whole interval on the good side of zero."""
        return self.high < 0 if DIRECTION[self.metric] < 0 else self.low > 0

    @property
    def worse(self) -> bool:
        """Clearly worse: the whole interval on the wrong side of zero."""
        return self.low > 0 if DIRECTION[self.metric] < 0 else self.high < 0


def per_target(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """(method, kind, target) -> each metric's mean over seeds."""
    frame = pd.DataFrame(rows)
    metrics = [m for m in DIRECTION if m in frame]
    return frame.groupby(["method", "kind", "target"], sort=False)[metrics].mean().reset_index()


def paired(table: pd.DataFrame, method: str, baseline: str, metric: str, *, seed: int = 0) -> Paired:
    """`method` minus `baseline` on `metric`, paired by target, with a percentile bootstrap interval
    (targets resampled with replacement, RESAMPLES times, a fixed seed)."""
    a = table[table["method"] == method].set_index("target")[metric]
    b = table[table["method"] == baseline].set_index("target")[metric]
    both = a.dropna().index.intersection(b.dropna().index)
    diffs = (a[both] - b[both]).to_numpy(float)
    if len(diffs) == 0:
        return Paired(method, baseline, metric, 0, math.nan, math.nan, math.nan)
    if len(diffs) == 1:
        return Paired(method, baseline, metric, 1, float(diffs[0]), math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), size=(RESAMPLES, len(diffs)))].mean(axis=1)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return Paired(method, baseline, metric, len(diffs), float(diffs.mean()), float(low), float(high))


def strongest_baseline(table: pd.DataFrame) -> str | None:
    """The baseline with the lowest mean primary metric among those that rank every target."""
    base = table[table["kind"] == "baseline"].dropna(subset=[PRIMARY])
    if base.empty:
        return None
    coverage = base.groupby("method", sort=False)["target"].nunique()
    full = coverage[coverage == table["target"].nunique()].index
    pool = base[base["method"].isin(full)] if len(full) else base
    means = pool.groupby("method", sort=False)[PRIMARY].mean()
    return str(min(means.index, key=lambda m: (means[m], m)))


@dataclass
class Choice:
    best: str
    baseline: str | None
    comparisons: list[Paired]

    def comparison_rows(self) -> list[dict[str, Any]]:
        return [asdict(c) | {"better": c.better, "worse": c.worse} for c in self.comparisons]


def choose(rows: list[dict[str, Any]]) -> Choice:
    """Apply the RULE of this module's docstring to an evaluation's per-target rows."""
    if not rows:
        raise TGError("no method or baseline could be scored on these targets")
    table = per_target(rows)
    baseline = strongest_baseline(table)
    methods = list(dict.fromkeys(table.loc[table["kind"] == "method", "method"]))
    if baseline is None:
        means = table.groupby("method", sort=False)[PRIMARY].mean().dropna()
        if means.empty:
            raise TGError("no method or baseline could be scored on these targets")
        return Choice(str(min(means.index, key=lambda m: (means[m], m))), None, [])
    others = [m for m in dict.fromkeys(table["method"]) if m != baseline]
    comparisons = [paired(table, m, baseline, metric) for m in others for metric in (PRIMARY, *SECONDARY)]
    by_method: dict[str, dict[str, Paired]] = {}
    for c in comparisons:
        by_method.setdefault(c.method, {})[c.metric] = c
    qualified = [
        m
        for m in methods
        if by_method[m][PRIMARY].better and not any(by_method[m][s].worse for s in SECONDARY)
    ]
    best = min(qualified, key=lambda m: (by_method[m][PRIMARY].mean, m)) if qualified else baseline
    return Choice(best, baseline, comparisons)
