"""`tg graph`: pruned edge counts equal counts computed with pandas from the CSVs (independently of
the Cypher), views hide exactly the target's runs, bad thresholds are refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pandas as pd
import pytest

from transfergraph.cypher import browser_script

from support import REPO, tg

pytestmark = pytest.mark.server

FOLDERS = {"image": "image_classification", "text": "sequence_classification"}
MATRIX = {
    "image": "corr_domain_similarity_google_vit_base_patch16_224_imagenet.csv",
    "text": "corr_domain_similarity_EleutherAI_gpt-neo-125m_gpt.csv",
}


# -- expectations from the CSVs ------------------------------------------------------------------


def canonical(name: str) -> str:
    name = {"glut/qqp": "glue/qqp", "oxford_flowers102": "flowers", "oxford_iiit_pet": "pets"}.get(name, name)
    m = re.match(r"^(glue|tweet_eval)_(.+)$", name)
    return f"{m.group(1)}/{m.group(2)}" if m else name


def config(zoo: Path, modality: str) -> pd.DataFrame:
    return pd.read_csv(zoo / FOLDERS[modality] / "model_config_dataset.csv")


def full_runs(zoo: Path, modality: str) -> pd.DataFrame:
    runs = pd.read_csv(zoo / FOLDERS[modality] / "records.csv", index_col=0)
    runs = runs[runs["model"].isin(config(zoo, modality)["model"]) & runs["eval_accuracy"].notna()]
    if "peft_method" in runs:
        runs = runs[runs["peft_method"].isna()]
    return runs


def minmax_counts(groups: pd.Series, values: pd.Series, pos: float, neg: float) -> tuple[int, int]:
    lo = values.groupby(groups).transform("min")
    hi = values.groupby(groups).transform("max")
    keep = hi > lo
    norm = (values[keep] - lo[keep]) / (hi[keep] - lo[keep])
    return int((norm > pos).sum()), int((norm <= neg).sum())


def expected_accuracy(
    zoo: Path, modality: str, pos: float, neg: float, hide: str | None = None
) -> tuple[int, int]:
    runs = full_runs(zoo, modality)
    runs = runs[runs["finetuned_dataset"] != hide]
    pairs = runs.groupby(["model", "finetuned_dataset"], as_index=False)["eval_accuracy"].mean()
    return minmax_counts(pairs["finetuned_dataset"], pairs["eval_accuracy"], pos, neg)


def expected_pretrained(zoo: Path, modality: str, pos: float, neg: float) -> tuple[int, int]:
    cfg = config(zoo, modality)
    source = cfg["labels"].fillna(cfg["dataset"]) if modality == "image" else cfg["dataset"]
    cards = pd.DataFrame({"source": source.map(canonical, na_action="ignore"), "accuracy": cfg["accuracy"]})
    cards = cards.dropna().reset_index(drop=True)
    return minmax_counts(cards["source"], cards["accuracy"], pos, neg)


def expected_similarity(zoo: Path, modality: str, threshold: float) -> int:
    matrix = pd.read_csv(zoo / FOLDERS[modality] / MATRIX[modality], index_col=0).to_numpy()
    distances = matrix[np.triu_indices_from(matrix, k=1)]
    similarity = (distances.max() - distances) / (distances.max() - distances.min())
    return int((similarity > threshold).sum())


def expected_logme(zoo: Path, modality: str, pos: float, neg: float) -> tuple[int, int]:
    scores = pd.read_csv(zoo / FOLDERS[modality] / "transferability_score_records.csv", index_col=0)
    scores = scores[scores["metric"] == "TransferabilityMethod.LOG_ME"].dropna(subset=["score", "model"])
    scores = scores.groupby(["model", "target_dataset"], as_index=False)["score"].mean()
    by = scores.groupby("target_dataset")["score"]
    z = (scores["score"] - by.transform("mean")) / by.transform(lambda s: s.std(ddof=0))
    return int((z >= pos).sum()), int((z < neg).sum())


# -- the graph ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zoo_graph(driver: neo4j.Driver, zoo: Path) -> neo4j.Driver:
    driver.execute_query("MATCH (n) DETACH DELETE n")
    proc = tg("ingest", "paper-zoo", "--path", str(zoo), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    return driver


def build(*args: str) -> list[dict[str, Any]]:
    proc = tg("graph", "build", "-f", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout))


def edge_counts(drv: neo4j.Driver, view: str) -> dict[tuple[str, str, bool], int]:
    records, _, _ = drv.execute_query(
        "MATCH ()-[r {view: $view}]->(d:Dataset) "
        "RETURN d.modality AS modality, type(r) AS type, coalesce(r.positive, true) AS positive, "
        "count(*) AS n",
        view=view,
    )
    return {(r["modality"], r["type"], r["positive"]): r["n"] for r in records}


@pytest.mark.parametrize(
    ("pos", "neg", "similarity"),
    [(0.5, 0.5, 0.0), (0.7, 0.2, 0.5)],
)
def test_pruned_edges_match_pandas(
    zoo_graph: neo4j.Driver, zoo: Path, pos: float, neg: float, similarity: float
) -> None:
    view = f"t-{pos}-{neg}-{similarity}"
    thresholds = [f"accuracy_pos={pos}", f"accuracy_neg={neg}", f"similarity={similarity}"]
    build("--view", view, "--logme", *(a for t in thresholds for a in ("--threshold", t)))
    got = edge_counts(zoo_graph, view)
    for modality in FOLDERS:
        acc = expected_accuracy(zoo, modality, pos, neg)
        assert (
            got.get((modality, "ACCURACY_EDGE", True), 0),
            got.get((modality, "ACCURACY_EDGE", False), 0),
        ) == acc
        card = expected_pretrained(zoo, modality, pos, neg)
        assert (
            got.get((modality, "PRETRAINED_EDGE", True), 0),
            got.get((modality, "PRETRAINED_EDGE", False), 0),
        ) == card
        logme = expected_logme(zoo, modality, 0.5, 0.5)
        assert (
            got.get((modality, "TRANSFER_EDGE", True), 0),
            got.get((modality, "TRANSFER_EDGE", False), 0),
        ) == logme
        assert got[(modality, "SIMILARITY_EDGE", True)] == expected_similarity(zoo, modality, similarity)
    tg("graph", "drop", view)


def test_switches_turn_edge_kinds_off(zoo_graph: neo4j.Driver) -> None:
    build("--view", "bare", "--no-pretrained", "--no-logme")
    kinds = {t for (_, t, _) in edge_counts(zoo_graph, "bare")}
    assert kinds == {"ACCURACY_EDGE", "SIMILARITY_EDGE"}


def test_lora_runs_are_a_switch(zoo_graph: neo4j.Driver, zoo: Path) -> None:
    build("--view", "lora", "--runs", "lora")
    got = edge_counts(zoo_graph, "lora")
    runs = pd.read_csv(zoo / FOLDERS["text"] / "records.csv", index_col=0)
    lora = runs[runs["peft_method"].isin(["lora", "lor"]) & runs["eval_accuracy"].notna()]
    pairs = lora.groupby(["model", "finetuned_dataset"], as_index=False)["eval_accuracy"].mean()
    expected = minmax_counts(pairs["finetuned_dataset"], pairs["eval_accuracy"], 0.5, 0.5)
    assert (got[("text", "ACCURACY_EDGE", True)], got[("text", "ACCURACY_EDGE", False)]) == expected
    assert ("image", "ACCURACY_EDGE", True) not in got  # image runs are all full fine-tuning


def test_target_view_hides_exactly_the_targets_runs(zoo_graph: neo4j.Driver, zoo: Path) -> None:
    build("--view", "all")
    build("--target", "cifar100", "--target", "glue/cola")
    raw_before, _, _ = zoo_graph.execute_query("MATCH ()-[r:FINETUNED_ON]->() RETURN count(r) AS n")
    query = (
        "MATCH (m:Model)-[r:ACCURACY_EDGE {view: $view}]->(d:Dataset {modality: $modality}) "
        "RETURN m.id AS m, d.id AS d, r.norm_accuracy AS norm ORDER BY m, d"
    )
    for target, modality in (("cifar100", "image"), ("glue/cola", "text")):
        view = f"without:{target}"
        hidden, _, _ = zoo_graph.execute_query(query, view=view, modality=modality)
        production, _, _ = zoo_graph.execute_query(query, view="all", modality=modality)
        hidden_rows = [tuple(r.values()) for r in hidden]
        production_rows = [tuple(r.values()) for r in production]
        # Normalisation is per dataset: every other dataset's edges are unchanged, the target's are gone.
        assert hidden_rows == [row for row in production_rows if row[1] != target]
        assert any(row[1] == target for row in production_rows)
        pos, neg = expected_accuracy(zoo, modality, 0.5, 0.5, hide=target)
        assert len(hidden_rows) == pos + neg
        sims = edge_counts(zoo_graph, view)[(modality, "SIMILARITY_EDGE", True)]
        assert sims == expected_similarity(zoo, modality, 0.0)
        other = "text" if modality == "image" else "image"
        assert not any(m == other for (m, _, _) in edge_counts(zoo_graph, view))
    raw_after, _, _ = zoo_graph.execute_query("MATCH ()-[r:FINETUNED_ON]->() RETURN count(r) AS n")
    assert raw_after[0]["n"] == raw_before[0]["n"]  # hidden, not deleted
    views = json.loads(tg("graph", "views", "-f", "json").stdout)
    assert {"all", "without:cifar100", "without:glue/cola"} <= {v["name"] for v in views}


def test_stats_json_reports_both_modalities(zoo_graph: neo4j.Driver, zoo: Path) -> None:
    build("--view", "all")
    proc = tg("graph", "stats", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stats = {row["modality"]: row for row in json.loads(proc.stdout)}
    assert set(stats) == {"image", "text"}
    for modality, row in stats.items():
        assert (row["accuracy_pos"], row["accuracy_neg"]) == expected_accuracy(zoo, modality, 0.5, 0.5)
        assert row["dataset_dataset"] == expected_similarity(zoo, modality, 0.0)
        assert row["nodes"] == row["models"] + row["datasets"] > 0
        edges = row["dataset_dataset"] + row["accuracy_pos"] + row["pretrained_pos"] + row["transfer_pos"]
        assert row["average_degree"] == round(2 * edges / row["nodes"], 2)
        assert row["paper"]["nodes"] in (265, 188)


def test_drop_removes_the_view_and_only_it(zoo_graph: neo4j.Driver) -> None:
    build("--view", "keep")
    build("--view", "gone")
    assert tg("graph", "drop", "gone").returncode == 0
    assert edge_counts(zoo_graph, "gone") == {}
    assert edge_counts(zoo_graph, "keep") != {}
    again = tg("graph", "drop", "gone")
    assert again.returncode == 2 and "no view named 'gone'" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "bogus=1"], "expected NAME=VALUE with NAME one of accuracy_pos"),
        (["--threshold", "accuracy_pos=1.5"], "accuracy_pos must be within [0, 1]"),
        (["--threshold", "similarity=-0.1"], "similarity must be within [0, 1]"),
        (["--threshold", "accuracy_pos=high"], "'high' is not a number"),
        (["--threshold", "accuracy_neg=0.8"], "accuracy_neg must not exceed accuracy_pos"),
        (["--runs", "some"], "--runs 'some': expected one of full, lora, all"),
        (["--target", "no-such-dataset"], "--target 'no-such-dataset': no such dataset"),
    ],
)
def test_bad_settings_are_refused_with_one_line(
    zoo_graph: neo4j.Driver, args: list[str], message: str
) -> None:
    before = edge_counts(zoo_graph, "all")
    proc = tg("graph", "build", *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert edge_counts(zoo_graph, "all") == before


def test_stats_of_a_missing_view_is_an_error(zoo_graph: neo4j.Driver) -> None:
    proc = tg("graph", "stats", "--view", "nope")
    assert proc.returncode == 2 and "no view named 'nope'" in proc.stderr


EXPLORE = sorted(p.stem for p in (REPO / "cypher" / "explore").glob("*.cypher"))


@pytest.mark.parametrize("name", EXPLORE)
def test_explore_queries_run_with_their_own_params(zoo_graph: neo4j.Driver, name: str) -> None:
    """Each Browser script in cypher/explore runs as written, with its :param values, and finds rows."""
    build("--view", "all")
    params, statement = browser_script(f"explore/{name}")
    assert params and all(f"${key}" in statement for key in params)
    records, _, _ = zoo_graph.execute_query(statement, params)
    assert records, f"{name} returned no rows on the paper zoo"
