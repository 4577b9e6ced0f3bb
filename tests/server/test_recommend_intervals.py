"""The expected accuracy's 80% interval on a small zoo through the product: `tg predict` stores where
each dataset's level came from and `tg recommend --explain` says it; `tg evaluate --intervals` holds
targets out, measures coverage by rank band and runs revealed, and writes its table, JSON and plot."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j
import numpy as np
import pandas as pd
import pytest

from support import RUN_COLS, cli

pytestmark = pytest.mark.server

MODELS, DATASETS = 30, 6


@pytest.fixture(scope="module")
def small_zoo(module_wiped: neo4j.Driver, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 models on 6 datasets (every dataset a target of the wider protocol), ds0 with 25 runs only."""
    rng = np.random.default_rng(7)
    skill = rng.uniform(0, 1, MODELS)
    rows = [
        {"model": f"zoo/m{i:02d}", "dataset": f"ds{j}",
         "acc": float(np.clip(0.4 + 0.1 * j + 0.4 * skill[i] ** 2 + rng.normal(0, 0.03), 0, 1))}
        for j in range(DATASETS) for i in range(MODELS) if j or i < 25
    ]  # fmt: skip
    path = tmp_path_factory.mktemp("zoo") / "runs.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = cli("ingest", "runs", str(path), "--modality", "text", *RUN_COLS)
    assert out.returncode == 0, out.stderr
    assert cli("graph", "build").returncode == 0
    return path


def test_recommend_says_where_the_level_came_from(small_zoo: Path) -> None:
    out = cli("predict", "--method", "model-prior", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["interval"] == "-"
    rec = cli("recommend", "--dataset", "ds0", "--include-tried", "--top", "30", "--format", "json")
    assert rec.returncode == 0, rec.stderr
    result = json.loads(rec.stdout)
    assert "own 25 runs" in result["level"] and "own run is left out" in result["level"]
    measured = result["best_tried"]["accuracy"]
    for row in result["rows"]:
        assert row["low"] <= row["expected"] <= row["high"]
        assert row["expected"] - measured <= (row["high"] - row["low"]) / 2
    text = cli("recommend", "--dataset", "ds0", "--explain")
    assert text.returncode == 0, text.stderr
    assert "expected accuracy: " in text.stdout


def test_evaluate_intervals_table_json_and_plot(small_zoo: Path, tmp_path: Path) -> None:
    out = cli("evaluate", "--modality", "text", "--intervals", "-t", "ds0", "-t", "ds3", "--draws", "2",
              "--format", "json", "--report", str(tmp_path / "rep"))  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["method"] == "model-prior" and result["targets"] == ["ds0", "ds3"]
    cells = {(r["band"], r["runs"]) for r in result["summary"]}
    runs = ("0", "1", "3", "5", "20", "all but own")
    every = {(b, k) for b in ("top 1", "top 5", "top 20", "all") for k in runs}
    # a band is judged where a model of it was not revealed (the top 1 may be among 20 revealed)
    assert cells <= every and {("all", k) for k in runs} | {(b, "all but own") for b, _ in every} <= cells
    for r in result["summary"]:
        assert (
            0 <= r["coverage"] <= 1 and 1 <= r["targets"] <= 2 and r["ok"] == (0.75 <= r["coverage"] <= 0.85)
        )
    # ds0 has 25 measured models: with 20 revealed, 5 are judged, at every rank band they fall in
    ds0 = [c for c in result["cells"] if c["target"] == "ds0" and c["runs"] == "20" and c["band"] == "all"]
    assert ds0[0]["models"] == 5
    assert (tmp_path / "rep" / "intervals.png").stat().st_size > 0
    assert "| top 5 | all but own |" in (tmp_path / "rep" / "intervals.md").read_text()
    table = cli("evaluate", "--modality", "text", "--intervals", "-t", "ds3", "--draws", "1")
    assert table.returncode == 0, table.stderr
    assert "all but own" in table.stdout and "rank band" in table.stdout
    two = cli("evaluate", "--modality", "text", "--intervals", "-m", "model-prior", "-m", "logme")
    assert two.returncode != 0 and "methods" in two.stderr
