"""The LogME-profile history (pure: frames in, scores out): which datasets it trusts, that a dataset's
own labels never reach its scores, and that its settings are chosen on the training datasets only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transfergraph.errors import MissingInput
from transfergraph.features.table import SIM_HIST, FeatureTable
from transfergraph.rankers import profile as baselines

MODELS = [f"m{i}" for i in range(30)]


def logme_profile_scores(
    f: pd.DataFrame, train: pd.DataFrame, targets: pd.DataFrame
) -> tuple[np.ndarray | None, str]:
    """The ranker fitted on `train`'s rows of `f`, scoring `targets`: (scores, note), or (None, why)."""
    ranker = baselines.LogMEProfileHistory()
    try:
        ranker.fit(FeatureTable(f), pd.Series(f.index.isin(train.index), index=f.index))
    except MissingInput as e:
        return None, str(e)
    return ranker.score(targets), ranker.note


def frame(seed: int = 0, target_labels: np.ndarray | None = None) -> pd.DataFrame:
    """Datasets a, b (with LogME, so they can validate), c, and the target t (LogME, labels hidden
    from training unless `target_labels`). Accuracy on t follows a's pattern."""
    rng = np.random.default_rng(seed)
    skill = rng.uniform(0, 1, len(MODELS))
    other = rng.uniform(0, 1, len(MODELS))
    truth = {"a": skill, "b": skill + rng.normal(0, 0.2, len(MODELS)), "c": other, "t": skill}
    rows = []
    for d, acc in truth.items():
        for i, m in enumerate(MODELS):
            label = acc[i] if d != "t" else (None if target_labels is None else target_labels[i])
            logme = acc[i] + rng.normal(0, 0.1) if d in ("a", "b", "t") else None
            hist = {c: float(rng.uniform(0, 1)) for c in SIM_HIST}
            rows.append({"model": m, "dataset": d, "label": label, "logme": logme, **hist})
    return pd.DataFrame(rows)


def test_profile_trusts_the_datasets_whose_accuracies_follow_the_logme_profile() -> None:
    labels = pd.DataFrame(
        {"up": np.arange(20.0), "down": -np.arange(20.0)}, index=[f"m{i}" for i in range(20)]
    )
    logme = pd.Series(np.arange(20.0) + 0.5, index=labels.index)
    profile = baselines.profile_history(labels, logme, power=1)
    pd.testing.assert_series_equal(profile, labels["up"], check_names=False)  # 'down' correlates < 0
    assert baselines.profile_history(labels, logme.iloc[:5], power=1).isna().all()  # too few models


def test_a_dataset_own_labels_never_reach_its_scores() -> None:
    f = frame()
    train = f[f["dataset"] != "t"]
    targets = f[f["dataset"] == "t"]
    before, note = logme_profile_scores(f, train, targets)
    assert before is not None and "nested" in note and not np.isnan(before).any()
    # the target's labels, even if they were in the frame, are left out of its own scores
    leaky = frame(target_labels=np.linspace(1, 0, len(MODELS)))
    labels = leaky.pivot_table(index="model", columns="dataset", values="label")
    assert "t" in labels.columns
    chosen = baselines.choose_profile(train, labels.drop(columns=["t"]))
    assert chosen is not None
    col, power = chosen
    clean = baselines._profile_scores(f, labels.drop(columns=["t"]), "t", col, power)
    dirty = baselines._profile_scores(f, labels, "t", col, power)
    pd.testing.assert_series_equal(clean, dirty)


def test_settings_are_chosen_on_training_datasets_with_logme_only() -> None:
    f = frame()
    train = f[f["dataset"] != "t"]
    labels = train.pivot_table(index="model", columns="dataset", values="label")
    chosen = baselines.choose_profile(train, labels)
    assert chosen is not None and chosen[0] in SIM_HIST and chosen[1] in baselines.PROFILE_POWERS
    no_logme = train.assign(logme=np.where(train["dataset"] == "c", train["logme"], np.nan))
    assert baselines.choose_profile(no_logme, labels) is None
    scores, note = logme_profile_scores(f.assign(logme=np.nan), train, f[f["dataset"] == "t"])
    assert scores is None and note == "no LogME scores"


def test_the_profile_finds_the_target_pattern_the_similarity_history_misses() -> None:
    f = frame(seed=1)
    train = f[f["dataset"] != "t"]
    targets = f[f["dataset"] == "t"]
    scores, _ = logme_profile_scores(f, train, targets)
    truth = f[f["dataset"] == "a"].set_index("model")["label"].reindex(targets["model"]).to_numpy()
    assert scores is not None
    assert np.corrcoef(scores, truth)[0, 1] > 0.6  # the history columns are noise here
    assert np.corrcoef(targets[SIM_HIST[0]], truth)[0, 1] == pytest.approx(0, abs=0.45)
