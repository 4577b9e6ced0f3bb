"""An expected accuracy with an 80% interval beside each predicted score (issues 18 and 28).

A ranker's score is unitless. Here it becomes an accuracy the user can plan with, calibrated on the
known datasets, each scored without its own labels (`Ranker.training_scores`):
1. score -> normalised accuracy p, a line fitted over the calibration datasets' models;
2. p -> accuracy from the dataset's own runs: none, the known datasets' mean level (lo + span x p);
   one or two, the level shifts to fit them; three or more, the span too; from `iso_min` runs on
   (chosen nested on the known datasets), a monotone (isotonic) fit of accuracy on p, which never
   predicts above the best of the runs it is fitted on. A model's own run never predicts itself:
   a measured model is predicted by the fit on the dataset's other runs (cross-fitting, `FOLDS`).
3. Rank-conditional (Mondrian) conformal: the known datasets play the target in turn with 0, 1, 3,
   5, 10, 20 runs revealed (or all but the model's own when they have `ALL_FROM` or more), and their
   residuals (accuracy - step 2) are grouped by runs and by rank band (1-5, 6-20, 21+ of the
   dataset's ranking), in units of the dataset's spread of accuracy (`local_spread`; which spread,
   chosen nested). Per group: the mean residual shifts the expected accuracy (what removes the
   optimism at the top of the list) and its 10% / 90% quantiles give the band, each calibration
   dataset weighing the same (its residuals share one unknown level: datasets are the exchangeable
   units, which is why the quantiles are the weighted ones below rather than `crepes`'s per-residual
   ones; docs/intervals.md says what each measured).
4. A dataset with `ALL_FROM` runs or more has enough of its own: its band comes from its own
   cross-fitted residuals in the model's rank group (`own_offsets`), its own run left out.
`tg evaluate --intervals` (`transfergraph.evaluation.intervals`) measures it on held-out targets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

COVERAGE = 0.8
MIN_MODELS = 20  # measured models a known dataset needs to calibrate on
MIN_DATASETS = 3  # calibration datasets needed before an interval is shown
SHOTS = (0, 1, 3, 5, 10, 20)  # runs revealed while calibrating; a dataset uses the nearest below its own
ALL = -1  # the "every run but the model's own" regime (a dataset with ALL_FROM runs or more)
ALL_FROM = 40
DRAWS = 5  # seeded reveals per calibration dataset and number of runs
FEW_DRAWS = 20  # ... with 1 or 3 runs, where one revealed run moves the whole level (cheap: no isotonic)
BANDS = (5, 20)  # rank bands, the Mondrian groups: ranks 1-5, 6-20, 21 and below
NEVER = 10**9
ISO_CANDIDATES = (5, 10, 20, NEVER)  # runs from which the monotone fit replaces the level (nested)
FOLDS = 20  # cross-fitting: a measured model is predicted by the fit on the other folds' runs


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


def _fit_predict(
    px: np.ndarray, ax: np.ndarray, p_new: np.ndarray, prior_lo: float, prior_span: float, iso_min: int
) -> np.ndarray:
    """Accuracy at `p_new` from the runs (px, ax): monotone from `iso_min` runs on, else the level."""
    if len(px) >= iso_min and np.ptp(px) > 0:
        return isotonic(px, ax, p_new)
    lo, span = _level(px, ax, prior_lo, prior_span)
    return lo + span * p_new


def isotonic(x: np.ndarray, y: np.ndarray, x_new: np.ndarray) -> np.ndarray:
    """The least-squares non-decreasing fit of y on x (scipy's pool-adjacent-violators; tied x
    pooled first), read at `x_new` by linear interpolation, flat beyond the fitted range: it never
    predicts above the highest fitted value, so never above the best run it was fitted on."""
    from scipy.optimize import isotonic_regression

    ux, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=y) / counts
    fitted = isotonic_regression(means, weights=counts.astype(float), increasing=True).x
    if len(ux) == 1:
        return np.full(len(x_new), float(fitted[0]))
    return np.interp(x_new, ux, fitted)


SIGMA_PRIOR = 5.0  # runs' worth of weight the zoo's mean spread has against a dataset's own runs
TOP = BANDS[-1]  # a row ranked this high is scaled by the spread of the dataset's runs ranked as high


def _shrunk(n: np.ndarray, var: np.ndarray, prior: float) -> np.ndarray:
    """Standard deviations from n runs each, shrunk towards `prior` with SIGMA_PRIOR runs' weight."""
    dof = np.maximum(n - 1, 0)
    return np.sqrt((dof * np.nan_to_num(var) + SIGMA_PRIOR * prior**2) / (dof + SIGMA_PRIOR))


def local_spread(
    rank: np.ndarray, at: np.ndarray, accuracy: np.ndarray, prior: tuple[float, float], scale: str = "top"
) -> np.ndarray:
    """Per row: the scale of its residual, the spread (standard deviation) of the dataset's measured
    accuracies among the runs ranked like it (top TOP, or all), its own run left out, shrunk towards
    the zoo's mean `prior` (top, all). Near the top a saturated dataset's models differ by a point
    or two, whatever its failures lower down. `scale`: "top" (as said), "all" (every row by the
    spread of all runs) or "none" (1: offsets in accuracy)."""
    if scale == "none":
        return np.ones(len(rank))
    if scale == "all":  # one group: the spread of all the dataset's runs
        rank = np.full(len(rank), TOP + 1)
    if not len(at):
        return np.where(rank <= TOP, prior[0], prior[1]).astype(float)
    out = np.empty(len(rank))
    own = np.full(len(rank), -1)
    own[at] = np.arange(len(at))
    for group, (mask_rows, mask_runs) in enumerate(
        ((rank <= TOP, rank[at] <= TOP), (rank > TOP, np.ones(len(at), bool)))
    ):
        acc = accuracy[mask_runs]
        n, total, squares = len(acc), float(acc.sum()), float((acc**2).sum())
        rows = np.flatnonzero(mask_rows)
        counts = np.full(len(rows), float(n))
        sums, sq = np.full(len(rows), total), np.full(len(rows), squares)
        mine = own[rows] >= 0
        inside = mine & mask_runs[np.maximum(own[rows], 0)]
        left = accuracy[own[rows][inside]]
        counts[inside] -= 1
        sums[inside] -= left
        sq[inside] -= left**2
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(counts > 1, (sq - sums**2 / counts) / (counts - 1), np.nan)
        out[rows] = _shrunk(counts, np.maximum(var, 0), prior[group])
    return out


def point(
    p: np.ndarray, at: np.ndarray, accuracy: np.ndarray, prior_lo: float, prior_span: float, iso_min: int,
    cross_fit: bool = True,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(accuracy before the band's shift, runs each prediction used) for every row of `p` (normalised
    predictions, NaN where unscored); `at`: the rows with a measured `accuracy`. With `cross_fit`, a
    measured row is predicted by the fit on the other folds' runs, never by its own."""
    ok = ~np.isnan(p[at])
    at, accuracy = at[ok], accuracy[ok]
    out = _fit_predict(p[at], accuracy, p, prior_lo, prior_span, iso_min)
    runs = np.full(len(p), len(at))
    if cross_fit and len(at):
        folds = min(FOLDS, len(at))
        fold = np.arange(len(at)) % folds
        for f in range(folds):
            held, kept = at[fold == f], fold != f
            out[held] = _fit_predict(p[at[kept]], accuracy[kept], p[held], prior_lo, prior_span, iso_min)
            runs[held] = int(kept.sum())
    out[np.isnan(p)] = np.nan
    return out, runs


INNER = FOLDS  # inner folds: a measured model's band comes from residuals without its own run
MIN_OWN = 10  # own residuals a rank group needs before they replace the zoo's offsets


def _quantiles(r: np.ndarray) -> tuple[float, float, float]:
    """(mean, low, high) of n residuals: the i-th and j-th smallest, where a new residual exchangeable
    with them falls between with probability (j - i) / (n + 1) (its rank is uniform over n + 1
    places). i is the nearest whole number to (n + 1) * 0.1 and j - i to (n + 1) * COVERAGE, so that
    probability is within 0.035 of COVERAGE from n = 10 on. Split conformal's usual ranks round both
    ends outwards (floor, ceil: at least COVERAGE) and reach 0.89 at n = 18, the size of a rank group
    of 20 with its fold held out, which is what over-covered the top of a dataset's list."""
    n, tail = len(r), (1 - COVERAGE) / 2
    ordered = np.sort(r)
    # rounded first: (n + 1) * 0.1 is 1.9999999999999996 at n = 19 in floating point
    low = min(max(math.floor(round((n + 1) * tail, 9) + 0.5), 1), n)
    high = min(low + math.floor(round((n + 1) * COVERAGE, 9) + 0.5), n)
    return float(r.mean()), float(ordered[low - 1]), float(ordered[high - 1])


def own_offsets(
    p: np.ndarray, at: np.ndarray, accuracy: np.ndarray, rank: np.ndarray, value: np.ndarray,
    prior_lo: float, prior_span: float, iso_min: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(shift, low, high) per row from the dataset's own cross-fitted residuals in the row's rank
    group (top TOP, the rest): split conformal inside the dataset, which a dataset with ALL_FROM
    runs can afford, so its band fits its own spread rather than the zoo's average. An unmeasured
    row uses the residuals of every run (each predicted without its fold, `value`); a measured row
    of fold f those of an inner cross-fit on the runs outside f, so its own run is in neither its
    prediction nor its band. NaN where a group has fewer than MIN_OWN residuals."""
    out: tuple[np.ndarray, np.ndarray, np.ndarray] = (
        np.full(len(p), np.nan),
        np.full(len(p), np.nan),
        np.full(len(p), np.nan),
    )
    top = rank <= TOP
    measured_top = top[at]

    def fill(rows: np.ndarray, residuals: np.ndarray, groups: np.ndarray) -> None:
        for group in (True, False):
            r = residuals[groups == group]
            r = r[~np.isnan(r)]
            sel = rows[top[rows] == group]
            if len(r) >= MIN_OWN and len(sel):
                for arr, v in zip(out, _quantiles(r), strict=True):
                    arr[sel] = v

    unmeasured = np.setdiff1d(np.arange(len(p)), at)
    fill(unmeasured, accuracy - value[at], measured_top)
    folds = min(FOLDS, len(at))
    fold = np.arange(len(at)) % folds
    for f in range(folds):
        kept = np.flatnonzero(fold != f)
        inner = np.arange(len(kept)) % INNER
        if len(kept) < iso_min:  # every inner fit is the level: all of them at once
            predicted = _level_held_out(p[at[kept]], accuracy[kept], inner, prior_lo, prior_span)
        else:
            predicted = np.empty(len(kept))
            for h in range(INNER):
                train, test = kept[inner != h], kept[inner == h]
                predicted[inner == h] = _fit_predict(p[at[train]], accuracy[train], p[at[test]], prior_lo,
                                                     prior_span, iso_min)  # fmt: skip
        fill(at[fold == f], accuracy[kept] - predicted, measured_top[kept])
    return out


def _level_held_out(
    p: np.ndarray,
    a: np.ndarray,
    group: np.ndarray,
    prior_lo: float,
    prior_span: float,
    slope_ridge: float = 0.1,
) -> np.ndarray:
    """Per row: the `_level` fit on the rows of the other groups, read at its p. What the loop of
    `_fit_predict` over groups gives when every fit is the level, from sums (a group's fit is the
    totals minus its own), so a dataset with 100k runs costs no 400 small fits."""
    size = int(group.max()) + 1 if len(group) else 0
    sums = [np.bincount(group, weights=w, minlength=size) for w in (np.ones_like(p), p, a, p * p, p * a)]
    n, sp, sa, spp, spa = (total.sum() - part for total, part in zip(sums, sums, strict=True))
    n, sp, sa, spp, spa = (v[group] for v in (n, sp, sa, spp, spa))
    with np.errstate(invalid="ignore", divide="ignore"):
        mp, ma = sp / n, sa / n
        fitted = (spa - n * mp * ma + slope_ridge * prior_span) / (spp - n * mp * mp + slope_ridge)
        span = np.where(n >= 3, fitted, prior_span)
        lo = np.where(n > 0, ma - span * mp, prior_lo)
    return lo + np.where(n > 0, span, prior_span) * p


def ranks(scores: np.ndarray) -> np.ndarray:
    """1 = the highest score; ties in input order, unscored (NaN) rows last."""
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")
    out = np.empty(len(scores), dtype=np.int64)
    out[order] = np.arange(1, len(scores) + 1)
    return out


def band_of(rank: np.ndarray, bands: Sequence[int] = BANDS) -> np.ndarray:
    """0 for ranks 1..bands[0], 1 up to bands[1], ...: the Mondrian group of each rank."""
    return np.searchsorted(np.asarray(bands), rank, side="left")


def regime(runs: int) -> int:
    """The calibrated number of runs a prediction from `runs` runs uses: the nearest below, or ALL."""
    return ALL if runs >= ALL_FROM else max(s for s in SHOTS if s <= runs)


def reveals(
    n: int, k: int, draws: int = DRAWS, offset: int = 0
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(draw, revealed positions, positions to predict) of n measured models: k seeded random ones
    revealed per draw (numpy RandomState(offset + draw)); ALL: every model, each predicted from the
    others (`point` cross-fits). Nothing when fewer than k + 1 models."""
    every = np.arange(n)
    if k == ALL:
        yield 0, every, every
        return
    if k == 0:
        yield 0, every[:0], every
        return
    if n <= k:
        return
    for draw in range(draws):
        shown = np.random.RandomState(offset + draw).choice(n, k, replace=False)
        rest = np.ones(n, dtype=bool)
        rest[shown] = False
        yield draw, shown, every[rest]


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
    # TIE: a cumulative weight equal to the quantile in exact arithmetic reaches it (float noise aside)
    lo = values[min(int(np.searchsorted(cum, 1.0 - inner - TIE, side="left")), last)]
    hi = values[min(int(np.searchsorted(cum, inner - TIE, side="left")), last)]
    return float(lo), float(hi)


TIE = 1e-9


def leave_one_out_offsets(
    residuals: dict[str, np.ndarray], coverage: float = COVERAGE
) -> dict[str, tuple[float, float]]:
    """Per dataset with residuals: `conformal_offsets` of the OTHER datasets' residuals, from one sort
    of them all. Removing one dataset (total weight 1) can only lower the pooled cumulative weight by
    at most 1, so each quantile is searched in the window of the sorted residuals where the pooled
    weight lies between the target and the target + 1: O(N log N) for all datasets rather than a
    sort of N per dataset, which at hub scale (200 calibration datasets, millions of residuals per
    group) took minutes per `tg predict`. Empty when fewer than three datasets have residuals."""
    parts = {d: r[~np.isnan(r)] for d, r in residuals.items()}
    parts = {d: r for d, r in parts.items() if len(r)}
    if len(parts) < 3:
        return {}
    names = list(parts)
    counts = np.array([len(parts[d]) for d in names])
    values = np.concatenate([parts[d] for d in names])
    order = np.argsort(values, kind="stable")
    weights = np.repeat(1.0 / counts, counts)[order]
    values, total, overall = values[order], np.cumsum(weights), float(weights.sum())
    owner = np.repeat(np.arange(len(names)), counts)[order]
    positions = np.split(np.argsort(owner, kind="stable"), np.cumsum(counts)[:-1])  # each ascending
    inner = (1.0 + coverage) / 2.0
    last = len(values) - 1
    out = {}
    for i, d in enumerate(names):
        mine, n = positions[i], counts[i]
        others = overall - float(weights[mine].sum())
        found = []
        for q in (1.0 - inner, inner):
            start = int(np.searchsorted(total, (q - 2 * TIE) * others, side="left"))
            stop = min(int(np.searchsorted(total, q * others + 1.0 + TIE, side="right")), last)
            window = np.arange(min(start, last), stop + 1)
            cum = (total[window] - np.searchsorted(mine, window, side="right") / n) / others
            hit = np.flatnonzero(cum >= q - TIE)
            found.append(float(values[window[hit[0]] if len(hit) else last]))
        out[d] = (found[0], found[1])
    return out


def weighted_mean(residuals: dict[str, np.ndarray]) -> float:
    """The mean residual, each dataset weighing the same."""
    means = [float(np.nanmean(r)) for r in residuals.values() if np.isfinite(r).any()]
    return float(np.mean(means))


Offsets = dict[tuple[int, int], tuple[float, float, float]]  # (runs, band) -> (shift, low, high)
Groups = dict[tuple[int, int], dict[str, np.ndarray]]  # (runs, band) -> dataset -> residuals


@dataclass(frozen=True)
class Calibration:
    """What turns one ranker's scores into accuracies with an interval, for one modality."""

    a: float  # normalised accuracy ~ a + b * score
    b: float
    lo: float  # the known datasets' mean accuracy level
    span: float
    offsets: Offsets
    iso_min: int = NEVER  # runs from which the dataset's own runs are fitted monotonically
    bands: tuple[int, ...] = BANDS
    datasets: int = 0  # calibration datasets
    sigma: tuple[float, float] = (1.0, 1.0)  # the zoo's mean spreads (top, all)
    scale: str = "none"  # what a residual is divided by (`local_spread`), chosen nested
    own: bool = True  # with ALL_FROM runs, the band comes from the dataset's own residuals (`own_offsets`)

    def interval(self, scores: pd.Series, measured: pd.Series) -> pd.DataFrame:
        """Per model of `scores` (model -> score, unique; the dataset's scored models): expected,
        low, high, rank, runs (how many of the dataset's runs its prediction used). `measured`
        (model -> accuracy): the dataset's own runs; a measured model is predicted without its own."""
        p = self.a + self.b * scores.to_numpy(float)
        at = scores.index.get_indexer(measured.index)
        found = measured.to_numpy(float)[at >= 0]
        at = at[at >= 0]
        usable = ~np.isnan(p[at])
        at, found = at[usable], found[usable]
        value, runs = point(p, at, found, self.lo, self.span, self.iso_min)
        rank = ranks(scores.to_numpy(float))
        sigma = local_spread(rank, at, found, self.sigma, self.scale)
        band = band_of(rank, self.bands)
        shift, low, high = (np.empty(len(p)) for _ in range(3))
        for i, (k, b) in enumerate(zip(runs, band, strict=True)):
            shift[i], low[i], high[i] = self.offsets[(regime(int(k)), int(b))]
        shift, low, high = shift * sigma, low * sigma, high * sigma
        if self.own and len(at) >= ALL_FROM:
            mine = own_offsets(p, at, found, rank, value, self.lo, self.span, self.iso_min)
            use = ~np.isnan(mine[1])
            shift[use], low[use], high[use] = mine[0][use], mine[1][use], mine[2][use]
        expected = np.clip(value + shift, value + low, value + high)
        # an accuracy lies in [0, 1]: clipping the band there can only raise its coverage
        return pd.DataFrame(
            {"expected": np.clip(expected, 0, 1), "low": np.clip(value + low, 0, 1),
             "high": np.clip(value + high, 0, 1), "rank": rank, "runs": runs},
            index=scores.index,
        )  # fmt: skip

    def check(self, band: pd.DataFrame, measured: pd.Series) -> str | None:
        """Why this dataset's band is not calibrated, or None: with CHECK_FROM runs or more, its own
        runs (each predicted without itself) must not fall outside their bands far more often than
        20% of the time (one-sided binomial p < CHECK_P), else the zoo's calibration does not hold
        here and no band is printed."""
        at = band.index.get_indexer(measured.index)  # numpy, not reindex: it runs once per dataset
        low, high = (np.where(at >= 0, band[c].to_numpy(float)[at], np.nan) for c in ("low", "high"))
        usable = ~np.isnan(low) & ~np.isnan(high)
        n = int(usable.sum())
        if n < CHECK_FROM:
            return None
        actual = measured.to_numpy(float)[usable]
        inside = int(((actual >= low[usable]) & (actual <= high[usable])).sum())
        if binomial_tail(inside, n, COVERAGE) >= CHECK_P:
            return None
        return (
            f"not calibrated on this dataset: the 80% band held {inside} of its {n} measured runs "
            f"(each predicted without its own)"
        )

    def source(self, runs: int) -> str:
        """Where the expected accuracy's level comes from, for a prediction from `runs` runs."""
        if runs == 0:
            return f"no run on this dataset: the mean accuracy level of {self.datasets} known datasets"
        own = "; a tried model's own run is left out of its prediction"
        if runs >= self.iso_min:
            return f"a monotone fit of score to accuracy on the dataset's own {runs} runs{own}"
        what = "level" if runs < 3 else "level and spread"
        return (
            f"the dataset's own {runs} run{'s' * (runs > 1)} set the {what} (the zoo's spread as prior){own}"
        )


CHECK_FROM = 10  # measured runs from which a dataset's own runs check its band
CHECK_P = 0.001


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), 0 < p < 1: summed in log space, as a dataset of the Hub's size
    has n in the hundreds of thousands, where comb(n, i) * p**i overflows a float."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    i = np.arange(k)  # log pmf(i + 1) - log pmf(i) = log((n - i) / (i + 1)) + log(p / (1 - p))
    steps = np.log((n - i) / (i + 1)) + math.log(p / (1 - p))
    logs = n * math.log1p(-p) + np.concatenate([[0.0], np.cumsum(steps)])
    top = float(logs.max())
    return min(1.0, math.exp(top) * float(np.exp(logs - top).sum()))


SCALES = ("all", "top", "none")  # candidates for what a residual is divided by, chosen nested


def miscoverage(residuals: Groups) -> float:
    """How far from COVERAGE the band of each group holds each known dataset's residuals when its
    offsets come from the other datasets (leave one dataset out): the mean absolute gap over groups
    and datasets. What chooses the scale, on the known datasets only."""
    gaps = []
    for parts in residuals.values():
        for d, (low, high) in leave_one_out_offsets(parts).items():
            r = parts[d][~np.isnan(parts[d])]
            gaps.append(abs(float(((r >= low) & (r <= high)).mean()) - COVERAGE))
    return float(np.mean(gaps)) if gaps else math.inf


def spreads_of(
    aligned: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> dict[str, tuple[float, float]]:
    """Per known dataset: the spread of accuracy among its TOP best-scored runs, and among all."""
    return {
        d: (float(np.std(y[ranks(s) <= TOP], ddof=1)), float(np.std(y, ddof=1)))
        for d, (s, _, y) in aligned.items()
    }


def zoo_spread(spreads: dict[str, tuple[float, float]], without: str | None = None) -> tuple[float, float]:
    """The known datasets' mean spreads (top, all) from `spreads_of`, `without` one of them."""
    kept = [v for d, v in spreads.items() if d != without]
    return float(np.mean([v[0] for v in kept])), float(np.mean([v[1] for v in kept]))


def _replays(
    aligned: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], levels: pd.DataFrame
) -> Iterator[tuple[str, int, int, np.ndarray, np.ndarray, float, float, int]]:
    """Each known dataset playing the target: (dataset, runs revealed k, draw, shown, rest, prior lo,
    prior span, runs fitted), with the prior level of the other datasets, k runs revealed (seeded)
    or all but each model's own (k = ALL, from ALL_FROM runs fitted)."""
    for d, (_, _, y) in aligned.items():
        others = levels.drop(index=d)
        prior_lo, prior_span = float(others["lo"].mean()), float(others["span"].mean())
        for k in (*SHOTS, ALL):
            fitted = len(y) - math.ceil(len(y) / FOLDS) if k == ALL else k
            if k == ALL and fitted < ALL_FROM:
                continue
            for draw, shown, rest in reveals(len(y), k, FEW_DRAWS if 0 < k < 5 else DRAWS):
                yield d, k, draw, shown, rest, prior_lo, prior_span, fitted


def _choose_iso(
    aligned: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], levels: pd.DataFrame,
    candidates: Sequence[int],
) -> int:  # fmt: skip
    """The candidate `iso_min` with the lowest mean absolute residual over the replays, each dataset
    weighing the same (ties: the earlier). A replay's fit depends only on whether it is monotone or
    the level, so each replay is fitted at most twice, whatever the candidates."""
    sums = {c: {d: 0.0 for d in aligned} for c in candidates}
    count = dict.fromkeys(aligned, 0)
    for d, k, _, shown, rest, prior_lo, prior_span, fitted in _replays(aligned, levels):
        _, p, y = aligned[d]
        error: dict[bool, float] = {}
        for c in candidates:
            monotone = fitted >= c
            if monotone not in error:
                value, _ = point(p, shown, y[shown], prior_lo, prior_span, c, cross_fit=k == ALL)
                error[monotone] = float(np.abs(y[rest] - value[rest]).sum())
            sums[c][d] += error[monotone]
        count[d] += len(rest)
    mean = {c: float(np.mean([sums[c][d] / count[d] for d in aligned if count[d]])) for c in candidates}
    best = candidates[0]
    for c in candidates[1:]:
        if mean[c] < mean[best] - 1e-12:
            best = c
    return best


KEEP = 4000  # residuals kept per dataset and group: beyond, evenly spaced quantiles of them


def _compact(r: np.ndarray) -> np.ndarray:
    """`r`, or KEEP evenly spaced quantiles of it: a dataset's residuals weigh 1 in all, so only
    their distribution counts, and a dataset of the Hub's size replayed 20 times has millions."""
    if len(r) <= KEEP:
        return r
    ordered = np.sort(r)  # np.quantile's linear interpolation, from one sort (its partitions took 10x)
    at = (np.arange(KEEP) + 0.5) / KEEP * (len(r) - 1)
    below = np.floor(at).astype(np.int64)
    return ordered[below] + (at - below) * (ordered[np.minimum(below + 1, len(r) - 1)] - ordered[below])


def _residuals(
    aligned: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], levels: pd.DataFrame, iso_min: int,
    bands: tuple[int, ...], spreads: dict[str, tuple[float, float]], scales: Sequence[str] = ("top",),
) -> dict[str, Groups]:  # fmt: skip
    """Per scale of `scales`: (runs, band) -> dataset -> (accuracy - prediction) / spread, over the
    replays (`_replays`), the band of each row its rank band in the dataset's ranking; `spreads`:
    `spreads_of(aligned)`."""
    rank = {d: ranks(s) for d, (s, _, _) in aligned.items()}
    prior = {d: zoo_spread(spreads, without=d) for d in aligned}
    found: dict[tuple[str, str, int, int], list[np.ndarray]] = {}
    for d, k, _, shown, rest, prior_lo, prior_span, _ in _replays(aligned, levels):
        _, p, y = aligned[d]
        band = band_of(rank[d], bands)
        value, _ = point(p, shown, y[shown], prior_lo, prior_span, iso_min, cross_fit=k == ALL)
        for scale in scales:
            sigma = local_spread(rank[d], shown, y[shown], prior[d], scale)
            for b in np.unique(band[rest]):
                sel = rest[band[rest] == b]
                found.setdefault((scale, d, k, int(b)), []).append((y[sel] - value[sel]) / sigma[sel])
    out: dict[str, Groups] = {scale: {} for scale in scales}
    for (scale, d, k, b), parts in found.items():
        out[scale].setdefault((k, b), {})[d] = _compact(np.concatenate(parts))
    return out


def _offsets(residuals: Groups, bands: tuple[int, ...]) -> Offsets:
    """(shift, low, high) per (runs, band); a group of fewer than two datasets takes the nearest
    group with fewer runs (same band), else the band above."""
    out: Offsets = {}
    for key, parts in residuals.items():
        if len([r for r in parts.values() if np.isfinite(r).any()]) >= 2:
            low, high = conformal_offsets(parts)
            out[key] = (weighted_mean(parts), low, high)
    order = [*SHOTS, ALL]
    for b in range(len(bands) + 1):
        for i, k in enumerate(order):
            if (k, b) in out:
                continue
            lower = [out[(j, b)] for j in reversed(order[:i]) if (j, b) in out]
            above = [out[(k, c)] for c in reversed(range(b)) if (k, c) in out]
            if lower or above:
                out[(k, b)] = (lower or above)[0]
    return out


def calibrate(
    honest: pd.DataFrame, labels: pd.DataFrame, levels: pd.DataFrame, *,
    iso_candidates: Sequence[int] = ISO_CANDIDATES, bands: tuple[int, ...] = BANDS,
    scales: Sequence[str] = SCALES,
) -> tuple[Calibration | None, str]:  # fmt: skip
    """(calibration, "") or (None, why). `honest`: models x known datasets, the ranker's score of each
    dataset's models without its own labels; `labels`: models x known datasets, normalised accuracy;
    `levels`: known dataset -> lo, span of its accuracy (every known dataset: their mean is the level
    a dataset without runs is given). `iso_min` is chosen among `iso_candidates` on the known datasets
    (the lowest mean absolute residual, each dataset weighing the same), the scale among `scales`
    by `miscoverage` (each known dataset held out from the others); `bands=()`: one group."""
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
    aligned = {}  # per dataset: scores, predictions and accuracies of its measured models
    for d in known:
        accuracy = (lo_of[d] + span_of[d] * labels[d].astype(float)).dropna()
        score = honest[d].reindex(accuracy.index).dropna()
        aligned[d] = (
            score.to_numpy(float),
            a + b * score.to_numpy(float),
            accuracy[score.index].to_numpy(float),
        )
    import importlib.util

    if importlib.util.find_spec("scipy") is None:  # the monotone fit is the [ml] extra's: the level only
        iso_candidates = (NEVER,)
    iso_min = _choose_iso(aligned, levels, tuple(iso_candidates))
    spreads = spreads_of(aligned)
    residuals = _residuals(aligned, levels, iso_min, bands, spreads, scales)
    scale = min(scales, key=lambda name: (miscoverage(residuals[name]), scales.index(name)))
    offsets = _offsets(residuals[scale], bands)
    if any((0, band) not in offsets for band in range(len(bands) + 1)):
        return None, "too thin to calibrate an interval: fewer than two known datasets per rank band"
    mean = levels.mean()
    calibration = Calibration(float(a), float(b), float(mean["lo"]), float(mean["span"]), offsets, iso_min,
                              tuple(bands), len(levels), zoo_spread(spreads), scale)  # fmt: skip
    return calibration, ""
