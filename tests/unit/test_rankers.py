"""Every registered ranker keeps the same contract (scikit-learn's check_estimator idea): fitted on a
table's training rows, it scores rows as floats, deterministically, never reads the held-out
target's labels, and says MissingInput when the zoo lacks its inputs."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from transfergraph import rankers
from transfergraph.errors import MissingInput, TGError
from transfergraph.features.table import TAUS, FeatureTable, assemble

from support import REPO

MODELS = [f"org/m{i:02d}" for i in range(24)]
DATASETS = ["a", "b", "c", "d", "e", "t"]
TARGET = "t"
# the registered names and two learned rankers (xgb's are slow to fit here: tests/server/test_predict.py
# fits every regressor)
NAMES = [*rankers.REGISTRY, "lr+none", "rf+none"]


def zoo(seed: int = 0, target_labels: np.ndarray | None = None) -> FeatureTable:
    """A small feature table: model skill carries over between datasets, LogME follows it."""
    rng = np.random.default_rng(seed)
    skill = rng.uniform(size=len(MODELS))
    rows, transfer = [], []
    for d in DATASETS:
        acc = np.clip(skill + rng.normal(0, 0.1, len(MODELS)), 0, 1)
        if d == TARGET and target_labels is not None:
            acc = target_labels
        for i, m in enumerate(MODELS):
            rows.append({"model": m, "dataset": d, "prior": float(skill[i]), "n_tried": 5,
                         "sim_hist": [float(skill[i] + 0.01 * k) for k in range(len(TAUS))],
                         "nearest_acc": float(skill[i] * 0.9), "near3_acc": float(skill[i]),
                         "nearest_sim": 0.9, "source_sim": None, "label": float(acc[i])})  # fmt: skip
            for metric in ("LogME", "Reg-H-Score"):
                transfer.append({"model": m, "dataset": d, "metric": metric,
                                 "score": float(skill[i] + rng.normal(0, 0.05)), "z": 0.0})  # fmt: skip
    models = [{"model": m, "num_parameters": 10 ** (6 + i % 3), "memory_bytes": 10**7, "input_size": 224,
               "source_accuracy": 0.5 + i / 100, "model_type": ["vit", "swin"][i % 2],
               "architecture": "X", "source_dataset": None} for i, m in enumerate(MODELS)]  # fmt: skip
    datasets = [{"dataset": d, "num_samples": 1000, "num_classes": 10} for d in DATASETS]
    return assemble(rows, models, datasets, transfer)


def fitted(name: str, table: FeatureTable) -> rankers.Ranker:
    return rankers.get(name).fit(table, table.frame["dataset"] != TARGET, seed=0)


def target_rows(table: FeatureTable) -> pd.DataFrame:
    return table.frame[table.frame["dataset"] == TARGET]


@pytest.mark.parametrize("name", NAMES)
def test_a_ranker_scores_every_row_as_floats_deterministically(name: str) -> None:
    table = zoo()
    ranker = rankers.get(name)
    assert ranker.fit(table, table.frame["dataset"] != TARGET) is ranker
    assert ranker.name == name and ranker.kind in ("baseline", "method")
    rows = target_rows(table)
    scores = ranker.score(rows)
    assert scores.dtype == float and scores.shape == (len(rows),)
    # equal up to the order of parallel sums (a random forest averages its trees on two threads)
    np.testing.assert_allclose(scores, fitted(name, zoo()).score(target_rows(zoo())), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_a_ranker_never_reads_the_held_out_target_labels(name: str) -> None:
    before = fitted(name, table := zoo()).score(target_rows(table))
    shuffled = zoo(target_labels=np.linspace(1, 0, len(MODELS)))
    after = fitted(name, shuffled).score(target_rows(shuffled))
    np.testing.assert_allclose(before, after, rtol=1e-12)


@pytest.mark.parametrize(
    "name,missing,why",
    [
        ("similarity-history", "dataset similarity", "no dataset similarity"),
        ("logme-profile-history", "dataset similarity", "no dataset similarity"),
        ("metadata-lr", "model metadata", "no model metadata"),
    ],
)
def test_a_missing_input_is_named(name: str, missing: str, why: str) -> None:
    table = zoo()
    table.missing.append(missing)
    with pytest.raises(MissingInput, match=f"^{why}$"):
        fitted(name, table)


def test_a_column_without_data_is_missing_not_zero() -> None:
    table = zoo()
    table.frame["reg_h"] = np.nan
    with pytest.raises(MissingInput, match=r"^no reg-h-score data$"):
        fitted("reg-h-score", table).score(target_rows(table))


def test_training_scores_leave_each_dataset_out_or_say_none() -> None:
    table = zoo()
    train = table.frame[table.frame["dataset"] != TARGET]
    labels = train.pivot_table(index="model", columns="dataset", values="label")
    for name in NAMES:
        scores = rankers.get(name).training_scores(train, labels)
        assert scores is None or set(scores.columns) <= set(DATASETS) - {TARGET}, name


def test_an_unknown_name_lists_what_exists() -> None:
    with pytest.raises(TGError, match=r"REGRESSOR.*model-prior"):
        rankers.get("no-such-ranker")


def test_the_readme_ranker_is_one_module_and_one_registry_line(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    code = re.search(r"# transfergraph/rankers/most_tried.py\n(.*?)```", text, flags=re.S)
    assert code, "docs/design.md ('Adding a ranker') shows a ranker"
    scope: dict[str, object] = {}
    exec(compile(textwrap.dedent(code.group(1)), "docs/design.md", "exec"), scope)
    monkeypatch.setitem(rankers.REGISTRY, "most-tried", scope["MostTried"])  # type: ignore[arg-type]
    table = zoo()
    scores = fitted("most-tried", table).score(target_rows(table))
    assert scores.shape == (len(MODELS),)
