"""`tg recommend`: ranks with measured accuracies and evidence, its error paths, staleness, and a
light import path (no sklearn / xgboost / torch)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import neo4j
import pytest
from test_predict import DATASETS, MODELS, TARGET, small_zoo, write

from transfergraph import graph
from transfergraph.db import run

from support import cli

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def predicted(module_wiped: neo4j.Driver) -> None:
    driver = module_wiped
    write(driver, small_zoo())
    graph.build(driver, None, "all", graph.BuildSettings())
    out = cli("predict", "--method", "model-prior")
    assert out.returncode == 0, out.stderr


def test_ranking_with_measured_and_evidence(driver: neo4j.Driver, predicted: None) -> None:
    out = cli("recommend", "--dataset", "a", "--top", "3", "--method", "model-prior", "--include-tried",
             "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    rows = result["rows"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    measured = {r["model"]: r["accuracy"] for r in run(driver, "readback/ground_truth", target="a")}
    for r in rows:
        assert r["measured"] == pytest.approx(measured.get(r["model"]), abs=1e-4)
        for e in r["evidence"]:
            assert e["dataset"] != "a" and 0 <= e["similarity"] <= 1
    explained = cli(
        "recommend", "--dataset", TARGET, "--method", "model-prior", "--include-tried", "--explain"
    )
    assert explained.returncode == 0 and "SIMILARITY_EDGE" in explained.stdout
    every = ("recommend", "-d", "a", "-m", "model-prior", "--include-tried")
    table = list(csv.DictReader(io.StringIO(cli(*every, "-f", "csv").stdout)))
    assert [r["model"] for r in table] == [
        r["model"] for r in json.loads(cli(*every, "-f", "json").stdout)["rows"]
    ]
    for r in table:
        expected = measured.get(r["model"])
        assert (
            (r["measured"] == "")
            if expected is None
            else float(r["measured"]) == pytest.approx(expected, abs=1e-4)
        )
        assert r["evidence"]  # the text of the evidence, "-" when there is none


def test_default_method_is_the_recorded_best(driver: neo4j.Driver, predicted: None) -> None:
    run(
        driver,
        "readback/record_best",
        modality="image",
        method="model-prior",
        summary="[]",
        targets=[],
        seeds=1,
    )
    out = cli("recommend", "--dataset", "b", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["method"] == "model-prior"


def test_error_paths(driver: neo4j.Driver, predicted: None) -> None:
    typo = cli("recommend", "--dataset", "src")
    assert typo.returncode == 2 and "unknown dataset 'src'" in typo.stderr and "src1" in typo.stderr
    assert len(typo.stderr.strip().splitlines()) == 1
    missing = cli("recommend", "--dataset", "a", "--method", "xgb+node2vec")
    assert missing.returncode == 2 and "tg predict --view all --method xgb+node2vec" in missing.stderr


def test_stale_predictions_are_flagged(driver: neo4j.Driver, predicted: None) -> None:
    fresh = cli("recommend", "--dataset", "a", "--method", "model-prior")
    assert "stale" not in fresh.stderr
    write(
        driver,
        {
            **{k: [] for k in small_zoo()},
            "runs": [
                {
                    "run_id": "new",
                    "model": MODELS[1],
                    "dataset": DATASETS[0],
                    "props": {"accuracy": 0.5, "peft": "full"},
                }
            ],
        },
    )
    assert "history changed" in cli("recommend", "--dataset", "a", "--method", "model-prior").stderr
    graph.build(driver, None, "all", graph.BuildSettings())
    assert "rebuilt after them" in cli("recommend", "--dataset", "a", "--method", "model-prior").stderr


def test_recommend_never_imports_the_ml_stack(predicted: None) -> None:
    code = (
        "import sys, runpy; sys.argv = ['tg', 'recommend', '--dataset', 'a', '--method', 'model-prior'];\n"
        "from transfergraph.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('sklearn', 'xgboost', 'torch', 'matplotlib') if m in sys.modules))"  # noqa: E501
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LOADED []" in out.stdout, out.stdout + out.stderr


def test_the_table_summarises_the_tried_models_as_the_full_list_does(
    driver: neo4j.Driver, predicted: None
) -> None:
    """The table reads back only how many models were tried and the best (readback/context), the JSON
    lists them all (readback/measured): both name the same count and best, ties broken by id."""
    write(driver, {**{k: [] for k in small_zoo()}, "runs": [
        {"run_id": f"tie-{m}", "model": m, "dataset": "a", "props": {"accuracy": 0.999, "peft": "full"}}
        for m in (MODELS[3], MODELS[1])
    ]})  # fmt: skip
    listed = json.loads(cli("recommend", "-d", "a", "-m", "model-prior", "-f", "json").stdout)["measured"]
    assert listed[0]["model"] == MODELS[1] and listed[0]["accuracy"] == 0.999  # the tie goes to the id
    table = cli("recommend", "-d", "a", "-m", "model-prior")
    assert table.returncode == 0, table.stderr
    assert f"already fine-tuned on a: {len(listed)} models, best {MODELS[1]} 0.999" in table.stdout


def test_the_tried_summary_is_read_while_current_and_counted_live_otherwise(
    driver: neo4j.Driver, predicted: None
) -> None:
    """`tg graph build` stores each dataset's tried count and best (tried/store.cypher); readback/context
    reads it while the dataset's runs are as they were. A new run (the degree moves) or a changed one
    (ingest/runs marks it) makes tg recommend count them live; the next build stores them again."""

    def context() -> dict:
        return dict(run(driver, "readback/context", dataset="a", view="all")[0])

    def table_line() -> str:
        out = cli("recommend", "-d", "a", "-m", "model-prior")
        assert out.returncode == 0, out.stderr
        return next(line for line in out.stdout.splitlines() if "already fine-tuned on a" in line)

    def expected_line() -> str:
        listed = json.loads(cli("recommend", "-d", "a", "-m", "model-prior", "-f", "json").stdout)["measured"]
        best = listed[0]
        return f"already fine-tuned on a: {len(listed)} models, best {best['model']} {best['accuracy']:.3f}"

    graph.build(driver, None, "all", graph.BuildSettings())
    live = run(driver, "tried/count", datasets=["a"])[0]
    stored = context()
    assert stored["summarised"] and stored["tried"] == live["tried"] and stored["best"] == live["best"]
    assert table_line().startswith(expected_line())

    new_run = {"run_id": "summary-new", "model": MODELS[5], "dataset": "a",
               "props": {"accuracy": 0.9995, "peft": "full"}}  # fmt: skip
    write(driver, {**{k: [] for k in small_zoo()}, "runs": [new_run]})
    assert not context()["summarised"]  # one run more than the summary counted
    assert table_line().startswith(expected_line()) and MODELS[5] in table_line()

    graph.build(driver, None, "all", graph.BuildSettings())
    assert context()["summarised"] and context()["best"]["model"] == MODELS[5]
    changed = {**new_run, "props": {"accuracy": 0.1, "peft": "full"}}  # the same run, corrected
    write(driver, {**{k: [] for k in small_zoo()}, "runs": [changed]})
    assert not context()["summarised"]  # the degree is unchanged, the ingest marked it
    assert MODELS[5] not in table_line() and table_line().startswith(expected_line())
    write(driver, {**{k: [] for k in small_zoo()}, "runs": [changed]})  # unchanged: no mark needed
    graph.build(driver, None, "all", graph.BuildSettings())
    assert (
        context()["summarised"] and context()["best"] == run(driver, "tried/count", datasets=["a"])[0]["best"]
    )
    summaries, _, _ = driver.execute_query(
        "MATCH (d:Dataset) RETURN d.id AS id, COUNT { (d)-[:TRIED_SUMMARY]->() } AS n, "
        "COUNT { (d)<-[:FINETUNED_ON]-() } > 0 AS tried ORDER BY id"
    )
    assert {r["id"]: r["n"] for r in summaries} == {r["id"]: int(r["tried"]) for r in summaries}
    assert sum(r["n"] for r in summaries) == len(DATASETS)  # one per dataset with runs, replaced
