"""Expected accuracy with an 80% interval (transfergraph/predict/intervals.py), on synthetic zoos
whose datasets differ in level: the band covers about 80% of held-out models, each revealed run
narrows it, and a thin history says so instead of showing a band."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    for seed in range(12):
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
        assert band.to_numpy().min() >= 0 and band.to_numpy().max() <= 1
    assert widths[1] < widths[0] / 2, widths  # the first run is what places the level


def test_a_thin_history_is_said_not_shown() -> None:
    labels, levels, _ = zoo(1, n_datasets=2)
    calibration, why = intervals.calibrate(honest_prior(labels), labels, levels)
    assert calibration is None and why.startswith("too thin to calibrate an interval: 2 known datasets")
