"""`tg predict`'s few-shot step on a frame, without a server: a dataset with a handful of measured
models gets a ranking that follows the known datasets whose accuracies co-vary with its runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transfergraph.evaluation import metrics
from transfergraph.features.table import FeatureTable
from transfergraph.rankers import get
from transfergraph.rankers.fewshot import FewShot


def with_shots(
    method: str, frame: pd.DataFrame, values: np.ndarray, keep: set[str] | None
) -> tuple[np.ndarray, list[str]]:
    """`tg predict`'s few-shot step: FewShot(method) fitted on the labelled rows, scoring the rows of
    the datasets in `keep` (every row when None); the other rows keep `values`."""
    ranker = FewShot(get(method)).fit(FeatureTable(frame), frame["label"].notna())
    rows = frame if keep is None else frame[frame["dataset"].isin(keep)]
    out = values.copy()
    out[rows.index] = ranker.score(rows)
    return out, ranker.notes


def clustered_zoo(seed: int = 0, measured: int = 5) -> tuple[pd.DataFrame, pd.Series]:
    """Two families of datasets whose model orders are unrelated; `new` belongs to the first and
    only `measured` of its models have a label. Returns the frame and `new`'s true accuracies."""
    rng = np.random.default_rng(seed)
    models = [f"m{i}" for i in range(40)]
    a, b = rng.normal(size=40), rng.normal(size=40)
    truth = {}
    for j in range(10):
        skill = a if j < 5 else b
        truth[f"d{j}"] = skill + rng.normal(scale=0.3, size=40)
    truth["new"] = a + rng.normal(scale=0.3, size=40)
    rows = []
    for d, acc in truth.items():
        norm = (acc - acc.min()) / (acc.max() - acc.min())
        for i, m in enumerate(models):
            label = norm[i] if d != "new" or i < measured else np.nan
            rows.append({"model": m, "dataset": d, "label": label})
    frame = pd.DataFrame(rows)
    # the model prior, each dataset's own labels left out (as the view's features are)
    prior = []
    for _, r in frame.iterrows():
        other = frame[(frame["model"] == r["model"]) & (frame["dataset"] != r["dataset"])]
        prior.append(other["label"].mean())
    frame["prior"] = prior
    return frame, pd.Series(truth["new"], index=models)


def test_a_few_runs_pull_the_ranking_towards_the_datasets_they_resemble() -> None:
    frame, truth = clustered_zoo()
    values = frame["prior"].to_numpy(float)
    scored, notes = with_shots("model-prior", frame, values, keep={"new"})
    assert len(notes) == 1 and notes[0].startswith("new: few-shot from 5 runs")
    rows = frame.index[(frame["dataset"] == "new") & frame["label"].isna()]
    untried = truth.reindex(frame.loc[rows, "model"]).to_numpy(float)
    before = metrics.pearson(untried, values[rows])
    after = metrics.pearson(untried, scored[rows])
    assert after > before + 0.2, (before, after)
    others = frame.index[frame["dataset"] != "new"]
    assert np.array_equal(scored[others], values[others])  # only the dataset asked for changes


def test_too_few_runs_or_a_fully_measured_dataset_keep_the_zero_shot_scores() -> None:
    for measured in (2, 40):
        frame, _ = clustered_zoo(measured=measured)
        values = frame["prior"].to_numpy(float)
        scored, notes = with_shots("model-prior", frame, values, keep=None)
        assert notes == [] and np.array_equal(scored, values, equal_nan=True)
