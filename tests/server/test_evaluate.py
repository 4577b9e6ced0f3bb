"""End to end on a small zoo loaded only with the `runs` loader (no LogME, no similarity, no
metadata): ingest, build, embed, predict, recommend, evaluate one target; missing data is reported
as missing, never as zero."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j
import numpy as np
import pandas as pd
import pytest

from support import cli

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def runs_zoo(module_wiped: neo4j.Driver, tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(3)
    skill = rng.uniform(0, 1, 12)  # a model effect shared by all datasets: the prior should find it
    rows = [
        {"model": f"zoo/m{i}", "dataset": f"ds{j}", "acc": float(np.clip(0.5 + 0.4 * skill[i] + rng.normal(0, 0.05), 0, 1))}  # noqa: E501
        for i in range(12) for j in range(5)
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("zoo") / "runs.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = cli("ingest", "runs", str(path), "--modality", "text", "--model-col", "model",
             "--dataset-col", "dataset", "--accuracy-col", "acc")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert cli("graph", "build").returncode == 0
    return path


def test_end_to_end_on_a_runs_only_zoo(runs_zoo: Path, tmp_path: Path, driver: neo4j.Driver) -> None:
    emb = cli("embed", "--method", "node2vec", "--format", "json")
    assert emb.returncode == 0, emb.stderr
    walked, _, _ = driver.execute_query(  # Node2Vec walks the positive edges (no similarity here)
        "MATCH (m)-[:ACCURACY_EDGE {view: 'all', positive: true}]->(d) "
        "RETURN count(DISTINCT m) + count(DISTINCT d) AS n"
    )
    assert json.loads(emb.stdout)[0]["nodes"] == walked[0]["n"] > 5
    out = cli("predict", "--method", "rf+node2vec", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["predicted"] == 12 * 5
    out = cli("predict", "--method", "rf+none", "--format", "json")
    assert out.returncode == 0, out.stderr
    rec = cli("recommend", "--dataset", "ds0", "--method", "rf+none", "--include-tried", "--format", "json")
    assert rec.returncode == 0, rec.stderr
    assert len(json.loads(rec.stdout)["rows"]) == 10
    ev = cli("evaluate", "--modality", "text", "--targets", "ds0", "--methods", "lr+none", "--methods",
            "rf+node2vec", "--seeds", "1", "--format", "json", "--report", str(tmp_path / "rep"))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    result = json.loads(ev.stdout)
    assert set(result) >= {"modality", "targets", "seeds", "rows", "summary", "best", "seconds"}
    methods = {r["method"] for r in result["rows"]}
    expected = {"lr+none", "rf+node2vec", "model-prior", "metadata-lr"}
    assert expected - methods == {"metadata-lr"}  # no metadata: missing
    no_data = {"logme", "reg-h-score", "similarity-history", "best-source-accuracy", "logme-profile-history"}
    assert not methods & no_data  # reported missing, not as zero
    fell = cli("predict", "--method", "logme-profile-history", "--format", "json")  # no input: a fallback
    assert fell.returncode == 0, fell.stderr
    summary = json.loads(fell.stdout)[0]
    assert summary["ranked_by"] == "model-prior" and "no dataset similarity" in summary["fallback"]
    assert {"model metadata", "LogME", "dataset similarity"} <= set(result["missing_features"])
    prior = next(r for r in result["rows"] if r["method"] == "model-prior")
    assert prior["n_models"] == 12 and prior["pearson"] > 0.8  # the shared model effect, found leak-free
    for key in ("pearson", "spearman", "weighted_kendall", "top1_regret", "ndcg5"):
        assert key in prior
    assert (tmp_path / "rep" / "report.md").exists() and (tmp_path / "rep" / "methods.png").exists()
    # the recorded best is recommend's default from now on
    assert cli("predict", "--method", result["best"]).returncode == 0
    rec = cli("recommend", "-d", "ds1", "-f", "json")
    assert rec.returncode == 0, rec.stderr
    assert json.loads(rec.stdout)["method"] == result["best"]


def test_unknown_target_is_one_line(runs_zoo: Path) -> None:
    out = cli("evaluate", "--modality", "text", "--targets", "nope", "--seeds", "1")
    assert out.returncode == 2 and "no such dataset" in out.stderr
