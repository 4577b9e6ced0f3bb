"""Expected accuracy with an 80% interval (transfergraph/predict/intervals.py), on synthetic zoos
whose datasets differ in level: the band covers about 80% of held-out models, each revealed run
narrows it, a model's own run never predicts it, the top of the list is not optimistic where the
accuracy saturates, and a thin history or a dataset its own runs refute says so instead of showing
a band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transfergraph.predict import intervals

MODELS = [f"m{i:02d}" for i in range(40)]


def zoo(seed: int, n_datasets: int = 8) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(normalised labels, levels, skill): accuracy = lo + span * (skill + noise), per dataset."""
    rng = np.random.default_rng(seed)
    skill = pd.Series(rng.uniform(size=len(MODELS)), index=MODELS)
    labels, levels = {}, {}
    for j in range(n_datasets):
        acc = np.clip(
            rng.uniform(0.3, 0.6) + rng.uniform(0.2, 0.4) * (skill + rng.normal(0, 0.08, len(MODELS))), 0, 1
        )
        lo, hi = acc.min(), acc.max()
        labels[f"d{j}"] = (acc - lo) / (hi - lo)
        levels[f"d{j}"] = {"lo": lo, "span": hi - lo}
    return pd.DataFrame(labels, index=MODELS), pd.DataFrame(levels).T, skill


def honest_prior(labels: pd.DataFrame) -> pd.DataFrame:
    """Each dataset's models scored by their mean label elsewhere (its own labels left out)."""
    return pd.DataFrame({d: labels.drop(columns=[d]).mean(axis=1) for d in labels.columns})


def test_the_band_covers_about_80_percent_of_held_out_datasets() -> None:
    inside, total = 0, 0
    for seed in range(4):
        labels, levels, _ = zoo(seed)
        target = "d0"
        known, known_levels = labels.drop(columns=[target]), levels.drop(index=target)
        calibration, why = intervals.calibrate(honest_prior(known), known, known_levels)
        assert calibration is not None, why
        band = calibration.interval(known.mean(axis=1), pd.Series(dtype=float))
        actual = levels.at[target, "lo"] + levels.at[target, "span"] * labels[target]
        inside += int(((actual >= band["low"]) & (actual <= band["high"])).sum())
        total += len(actual)
    assert 0.65 <= inside / total <= 0.95, inside / total


def test_each_revealed_run_fixes_the_level_and_narrows_the_band() -> None:
    labels, levels, _ = zoo(3)
    known, known_levels = labels.drop(columns=["d0"]), levels.drop(index="d0")
    calibration, _ = intervals.calibrate(honest_prior(known), known, known_levels)
    assert calibration is not None
    scores = known.mean(axis=1)
    actual = levels.at["d0", "lo"] + levels.at["d0", "span"] * labels["d0"]
    widths = []
    for k in (0, 1, 3, 5):
        band = calibration.interval(scores, actual.iloc[:k])
        widths.append(float((band["high"] - band["low"]).mean()))
        assert (band["low"] <= band["expected"]).all() and (band["expected"] <= band["high"]).all()
        values = band[["expected", "low", "high"]].to_numpy()
        assert values.min() >= 0 and values.max() <= 1
    assert widths[1] < widths[0] / 2, widths  # the first run is what places the level


def test_a_thin_history_is_said_not_shown() -> None:
    labels, levels, _ = zoo(1, n_datasets=2)
    calibration, why = intervals.calibrate(honest_prior(labels), labels, levels)
    assert calibration is None and why.startswith("too thin to calibrate an interval: 2 known datasets")


def saturating_zoo(seed: int, n_datasets: int = 8, n_models: int = 80) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracies that saturate on some datasets (a concave function of skill) and not on others, so
    a line through all of a saturating dataset's runs overshoots its best models (the optimism issue
    28 measured on cifar100)."""
    rng = np.random.default_rng(seed)
    models = [f"m{i:03d}" for i in range(n_models)]
    skill = rng.uniform(size=n_models)
    labels, levels = {}, {}
    for j in range(n_datasets):
        ceiling = rng.uniform(0.8, 0.95)
        power = 1 if j % 2 else 6
        acc = np.clip(ceiling - (ceiling - 0.2) * (1 - skill) ** power + rng.normal(0, 0.015, n_models), 0, 1)
        lo, hi = acc.min(), acc.max()
        labels[f"d{j}"] = (acc - lo) / (hi - lo)
        levels[f"d{j}"] = {"lo": lo, "span": hi - lo}
    return pd.DataFrame(labels, index=models), pd.DataFrame(levels).T


def test_the_top_of_a_well_run_dataset_is_neither_optimistic_nor_above_its_best_run() -> None:
    labels, levels = saturating_zoo(5)
    known, known_levels = labels.drop(columns=["d0"]), levels.drop(index="d0")
    calibration, why = intervals.calibrate(honest_prior(known), known, known_levels)
    assert calibration is not None, why
    assert calibration.iso_min < intervals.NEVER  # the monotone fit wins on saturating accuracies
    actual = levels.at["d0", "lo"] + levels.at["d0", "span"] * labels["d0"]
    band = calibration.interval(known.mean(axis=1), actual)  # every run known: each model's own left out
    top = band.sort_values("rank").head(20)
    assert abs(float((top["expected"] - actual[top.index]).mean())) <= 0.02
    assert float(band["expected"].max()) <= float(actual.max()) + 1e-9
    inside = (actual[top.index] >= top["low"]) & (actual[top.index] <= top["high"])
    assert 0.6 <= float(inside.mean()) <= 1.0


def test_a_models_own_run_never_predicts_it() -> None:
    labels, levels = saturating_zoo(2)
    known, known_levels = labels.drop(columns=["d0"]), levels.drop(index="d0")
    calibration, _ = intervals.calibrate(honest_prior(known), known, known_levels)
    assert calibration is not None
    scores = known.mean(axis=1)
    actual = levels.at["d0", "lo"] + levels.at["d0", "span"] * labels["d0"]
    for runs in (actual.iloc[:3], actual.iloc[:30], actual):
        model = runs.index[0]
        before = calibration.interval(scores, runs).loc[model]
        changed = runs.copy()
        changed[model] = 0.0 if runs[model] > 0.5 else 1.0
        after = calibration.interval(scores, changed).loc[model]
        columns = ["expected", "low", "high"]
        assert np.allclose(
            before[columns].to_numpy(float), after[columns].to_numpy(float), rtol=0, atol=1e-12
        )
        assert before["runs"] < len(runs)


def test_a_dataset_its_own_runs_refute_shows_no_band() -> None:
    labels, levels = saturating_zoo(3)
    known, known_levels = labels.drop(columns=["d0"]), levels.drop(index="d0")
    calibration, _ = intervals.calibrate(honest_prior(known), known, known_levels)
    assert calibration is not None
    scores = known.mean(axis=1)
    actual = levels.at["d0", "lo"] + levels.at["d0", "span"] * labels["d0"]
    some = actual.iloc[:30]  # enough runs to check the band, too few to calibrate it on its own runs
    assert calibration.check(calibration.interval(scores, some), some) is None
    noisy = some + np.random.default_rng(0).normal(0, 0.2, len(some))  # the ranking says nothing here
    why = calibration.check(calibration.interval(scores, noisy), noisy)
    assert why is not None and why.startswith("not calibrated on this dataset: the 80% band held")
    # with ALL_FROM runs or more the band comes from the dataset's own residuals: it holds again
    noisy_all = actual + np.random.default_rng(0).normal(0, 0.2, len(actual))
    band = calibration.interval(scores, noisy_all)
    assert calibration.check(band, noisy_all) is None
    inside = (noisy_all >= band["low"]) & (noisy_all <= band["high"])
    assert 0.7 <= float(inside.mean()) <= 0.95


def test_ranks_bands_regimes_and_reveals() -> None:
    assert intervals.ranks(np.array([0.1, np.nan, 0.9, 0.9])).tolist() == [3, 4, 1, 2]
    assert intervals.band_of(np.array([1, 5, 6, 20, 21])).tolist() == [0, 0, 1, 1, 2]
    assert [intervals.regime(k) for k in (0, 2, 4, 7, 19, 25, 39, 40)] == [
        0,
        1,
        3,
        5,
        10,
        20,
        20,
        intervals.ALL,
    ]
    drawn = list(intervals.reveals(10, 3, draws=2))
    assert len(drawn) == 2 and all(len(s) == 3 and len(r) == 7 and not set(s) & set(r) for _, s, r in drawn)
    assert list(intervals.reveals(3, 3)) == []  # nothing left to predict
    ((_, shown, rest),) = intervals.reveals(4, intervals.ALL)
    assert shown.tolist() == rest.tolist() == [0, 1, 2, 3]
    assert intervals.binomial_tail(0, 3, 0.5) == pytest.approx(0.125)


def test_the_binomial_tail_holds_at_the_hubs_size() -> None:
    from scipy.stats import binom

    # a dataset with 100k runs: comb(n, i) * p**i overflowed a float and `tg predict` stopped
    for k, n in ((6, 10), (25, 40), (79_750, 100_000), (79_000, 100_000), (199_000, 250_000)):
        assert intervals.binomial_tail(k, n, 0.8) == pytest.approx(binom.cdf(k, n, 0.8), rel=1e-6), (k, n)
    assert intervals.binomial_tail(60_000, 100_000, 0.8) == 0.0
    assert intervals.binomial_tail(-1, 5, 0.8) == 0.0 and intervals.binomial_tail(5, 5, 0.8) == 1.0


def test_own_residual_quantiles_hold_a_new_residual_with_probability_near_coverage() -> None:
    r = np.arange(1.0, 20.0)  # 19 residuals: the 2nd and the 18th smallest hold a new one with p = 16/20
    assert intervals._quantiles(r) == (10.0, 2.0, 18.0)
    # 18 (a top-20 group with its fold held out): the 2nd and 17th (15/19 = 0.79), not the extremes
    # that split conformal's outward rounding takes (17/19 = 0.89)
    assert intervals._quantiles(np.arange(1.0, 19.0))[1:] == (2.0, 17.0)
    assert intervals._quantiles(np.arange(1.0, 10.0))[1:] == (1.0, 9.0)  # 9: the extremes
    for n in range(10, 300):  # a new exchangeable residual's rank is uniform over n + 1 places
        _, low, high = intervals._quantiles(np.arange(1.0, n + 1.0))
        assert abs((high - low) / (n + 1) - intervals.COVERAGE) <= 0.035, n


def test_own_residual_quantiles_cover_about_coverage_of_new_residuals() -> None:
    rng = np.random.default_rng(0)
    for n in (12, 18, 19, 25, 40):
        draws = rng.standard_normal((4000, n + 1))
        held = [intervals._quantiles(d[:-1])[1] <= d[-1] <= intervals._quantiles(d[:-1])[2] for d in draws]
        assert abs(float(np.mean(held)) - intervals.COVERAGE) < 0.04, n


def test_the_held_out_level_fits_at_once_equal_the_loop_of_fits() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 20, 21, 119):
        p = rng.random(n)
        a = 0.3 + 0.5 * p + 0.05 * rng.standard_normal(n)
        group = np.arange(n) % intervals.INNER
        slow = np.empty(n)
        for h in set(group.tolist()):
            train, test = group != h, group == h
            slow[test] = intervals._fit_predict(p[train], a[train], p[test], 0.5, 0.4, intervals.NEVER)
        np.testing.assert_allclose(intervals._level_held_out(p, a, group, 0.5, 0.4), slow, atol=1e-12)


def test_leave_one_dataset_out_offsets_equal_a_quantile_per_dataset() -> None:
    rng = np.random.default_rng(1)
    for trial in range(300):
        parts = {}
        for d in range(int(rng.integers(3, 8))):
            r = rng.integers(-5, 6, int(rng.integers(1, 12))).astype(float)  # ties across datasets
            if trial % 2:
                r = rng.standard_normal(len(r))
            if rng.random() < 0.1:
                r[0] = np.nan
            parts[str(d)] = r
        found = intervals.leave_one_out_offsets(parts)
        for d, r in parts.items():
            others = {o: v for o, v in parts.items() if o != d and np.isfinite(v).any()}
            if np.isfinite(r).any() and len(others) >= 2:
                assert found[d] == intervals.conformal_offsets(others), (trial, d)


def test_compacted_residuals_are_numpys_quantiles() -> None:
    r = np.random.default_rng(2).standard_normal(intervals.KEEP * 3 + 7)
    levels = (np.arange(intervals.KEEP) + 0.5) / intervals.KEEP
    np.testing.assert_allclose(intervals._compact(r), np.quantile(r, levels), atol=1e-12)
    assert intervals._compact(r[:10]) is not None and len(intervals._compact(r[:10])) == 10
