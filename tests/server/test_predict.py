"""Prediction features on a small graph: each Cypher feature equals a pandas computation from the
raw facts, a target's own runs never reach its features or predictions, and `tg predict` writes
(and replaces) PREDICTED for every model on every dataset of the modality."""

from __future__ import annotations

import math
from typing import Any

import neo4j
import numpy as np
import pandas as pd
import pytest

from transfergraph import rankers
from transfergraph.choices import Regressor
from transfergraph.db import run
from transfergraph.features import table as feats
from transfergraph.graph import BuildSettings, view_name
from transfergraph.graph import build as build_view

from support import cli

pytestmark = pytest.mark.server

MODELS = [f"org/m{i}" for i in range(8)]
DATASETS = ["a", "b", "c", "d", "e", "t"]
TARGET = "t"
SOURCES = {"org/m0": "a", "org/m1": "src1", "org/m2": "src1"}  # model -> pre-training dataset


def small_zoo(seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    runs = []
    for i, m in enumerate(MODELS):
        for d in DATASETS:
            if (i + len(d)) % 5 == 0 and d != TARGET:
                continue  # a few missing pairs
            for k in range(2 if i % 3 == 0 else 1):  # some pairs have two runs
                runs.append({"run_id": f"{m}|{d}|{k}", "model": m, "dataset": d,
                             "props": {"accuracy": float(rng.uniform(0.3, 0.95)), "peft": "full"}})  # fmt: skip  # noqa: E501
    # a LoRA run that the full-regime view must ignore
    runs.append(
        {"run_id": "lora", "model": MODELS[0], "dataset": "a", "props": {"accuracy": 0.01, "peft": "lora"}}
    )
    everything = [*DATASETS, "src1"]
    sims = [
        {"a": x, "b": y, "probe": "probe", "props": {"distance": float(rng.uniform(1, 10))}}
        for i, x in enumerate(everything) for y in everything[i + 1 :]
    ]  # fmt: skip
    return {
        "datasets": [{"id": d, "modality": "image", "props": {"num_samples": 100 * (i + 1), "num_classes": i + 2}}  # noqa: E501
                     for i, d in enumerate(everything)],
        "models": [{"id": m, "modality": "image", "props": {"num_parameters": 10**6 * (i + 1), "model_type":
                    "vit" if i % 2 else "cnn", "source_accuracy": 0.5 + i / 20}} for i, m in enumerate(MODELS)],  # noqa: E501
        "runs": runs,
        "similarities": sims,
        "pretrained_on": [{"model": m, "dataset": d, "props": {"accuracy": 0.8}} for m, d in SOURCES.items()],
        "scores": [{"model": m, "dataset": TARGET, "metric": "LogME", "props": {"score": float(rng.normal())}}
                   for m in MODELS[:5]],
    }  # fmt: skip


def write(driver: neo4j.Driver, zoo: dict[str, list[dict[str, Any]]]) -> None:
    for entity in ("datasets", "models", "runs", "similarities", "pretrained_on", "scores"):
        run(driver, f"ingest/{entity}", rows=zoo[entity])


@pytest.fixture(scope="module")
def graph(module_wiped: neo4j.Driver) -> dict[str, list[dict[str, Any]]]:
    driver = module_wiped
    zoo = small_zoo()
    write(driver, zoo)
    for target in (None, TARGET):
        build_view(driver, target, view_name(target, None), BuildSettings())
    return zoo


def expected_features(zoo: dict[str, list[dict[str, Any]]], hide: str | None) -> pd.DataFrame:
    """The features of every (model, dataset) pair, from the raw facts, in pandas."""
    runs = pd.DataFrame([{"model": r["model"], "dataset": r["dataset"], **r["props"]} for r in zoo["runs"]])
    runs = runs[(runs["peft"] == "full") & (runs["dataset"] != hide)]
    pairs = runs.groupby(["model", "dataset"], as_index=False)["accuracy"].mean()
    lo = pairs.groupby("dataset")["accuracy"].transform("min")
    hi = pairs.groupby("dataset")["accuracy"].transform("max")
    pairs["norm"] = (pairs["accuracy"] - lo) / (hi - lo)
    norm = {(r.model, r.dataset): r.norm for r in pairs.itertuples()}
    dist = {(s["a"], s["b"]): s["props"]["distance"] for s in zoo["similarities"]}
    dlo, dhi = min(dist.values()), max(dist.values())
    sim = {}
    for (x, y), v in dist.items():
        sim[(x, y)] = sim[(y, x)] = (dhi - v) / (dhi - dlo)
    out = []
    for m in MODELS:
        for big_d in DATASETS:
            h = sorted(
                (
                    (sim.get((big_d, d), 0.0), d, acc)
                    for (mm, d), acc in norm.items()
                    if mm == m and d != big_d
                ),
                key=lambda x: (-x[0], x[1]),
            )
            row: dict[str, Any] = {
                "model": m,
                "dataset": big_d,
                "n_tried": len(h),
                "label": norm.get((m, big_d)),
            }
            row["prior"] = np.mean([x[2] for x in h]) if h else None
            for tau, col in zip(feats.TAUS, feats.SIM_HIST, strict=True):
                w = np.array([math.exp(-(1 - x[0]) / tau) for x in h])
                row[col] = float((w * [x[2] for x in h]).sum() / w.sum()) if h else None
            row["nearest_acc"] = h[0][2] if h else None
            row["nearest_sim"] = h[0][0] if h else None
            row["near3_acc"] = float(np.mean([x[2] for x in h[:3]])) if h else None
            src = SOURCES.get(m)
            row["source_sim"] = None if src is None else (1.0 if src == big_d else sim.get((src, big_d)))
            out.append(row)
    return pd.DataFrame(out)


@pytest.mark.parametrize("view,hide", [("all", None), (f"without:{TARGET}", TARGET)])
def test_each_cypher_feature_equals_pandas(
    driver: neo4j.Driver, graph: dict, view: str, hide: str | None
) -> None:
    got = feats.build_table(driver, view, "image", datasets=DATASETS).frame.set_index(["model", "dataset"])
    want = expected_features(graph, hide).set_index(["model", "dataset"]).reindex(got.index)
    for col in [
        "prior",
        "n_tried",
        *feats.SIM_HIST,
        "nearest_acc",
        "near3_acc",
        "nearest_sim",
        "source_sim",
        "label",
    ]:
        np.testing.assert_allclose(
            got[col].astype(float), want[col].astype(float), rtol=1e-9, atol=1e-12, err_msg=col
        )
    if hide:
        assert got.xs(TARGET, level="dataset")["label"].isna().all()


def test_a_target_runs_never_reach_its_features_or_predictions(driver: neo4j.Driver, graph: dict) -> None:
    view = f"without:{TARGET}"

    def snapshot() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        build_view(driver, TARGET, view, BuildSettings())
        table = feats.build_table(driver, view, "image", datasets=DATASETS)
        train = table.frame["dataset"] != TARGET
        rows = table.frame[table.frame["dataset"] == TARGET]
        names = [f"{r.value}+none" for r in Regressor] + ["model-prior", "similarity-history"]
        preds = {name: rankers.get(name).fit(table, train).score(rows) for name in names}
        return table.frame, preds

    before_frame, before = snapshot()
    changed = small_zoo(seed=99)  # same runs, new accuracies: only T's are written back
    write(
        driver, {**{k: [] for k in changed}, "runs": [r for r in changed["runs"] if r["dataset"] == TARGET]}
    )
    try:
        after_frame, after = snapshot()
        pd.testing.assert_frame_equal(before_frame, after_frame)
        for name in before:
            np.testing.assert_allclose(before[name], after[name], rtol=1e-12, err_msg=name)  # rf: 2 threads
        # and the production view does see the change (the test can fail)
        build_view(driver, None, "all", BuildSettings())
        full = feats.build_table(driver, "all", "image", datasets=DATASETS).frame
        assert not np.allclose(
            full[full["dataset"] == "a"]["prior"], before_frame[before_frame["dataset"] == "a"]["prior"]
        )
    finally:
        write(driver, {**{k: [] for k in graph}, "runs": graph["runs"]})
        build_view(driver, None, "all", BuildSettings())


def test_predict_writes_every_pair_and_replaces(driver: neo4j.Driver, graph: dict) -> None:
    for _ in range(2):
        out = cli("predict", "--view", "all", "--method", "lr+none", "--format", "json")
        assert out.returncode == 0, out.stderr
    counts, _, _ = driver.execute_query(
        "MATCH (:Model)-[p:PREDICTED {view: 'all', method: 'lr+none'}]->(d:Dataset) RETURN count(p) AS n"
    )
    assert counts[0]["n"] == len(MODELS) * (len(DATASETS) + 1)  # src1 is a dataset of the modality too
    bad = cli("predict", "--view", "nope", "--method", "lr+none")
    assert bad.returncode == 2 and "no view named 'nope'" in bad.stderr
    bad = cli("predict", "--method", "svm+none")
    assert bad.returncode == 2 and "REGRESSOR" in bad.stderr
