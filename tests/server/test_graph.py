"""`tg graph`: pruned edge counts and the learning graph's node counts equal counts computed with
pandas from the CSVs (independently of the Cypher), views hide exactly the target's runs. Settings
refused before any query are in tests/unit/test_graph_settings.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pandas as pd
import pytest

from transfergraph import db
from transfergraph.cypher import browser_script

from support import REPO, cli

pytestmark = pytest.mark.server

FOLDERS = {"image": "image_classification", "text": "sequence_classification"}
MATRIX = {
    "image": "corr_domain_similarity_google_vit_base_patch16_224_imagenet.csv",
    "text": "corr_domain_similarity_EleutherAI_gpt-neo-125m_gpt.csv",
}


# -- expectations from the CSVs ------------------------------------------------------------------


ALIASES = {
    "glut/qqp": "glue/qqp",
    "oxford_flowers102": "flowers",
    "oxford_iiit_pet": "pets",
    "svhn_cropped": "svhn",
}


def canonical(name: str) -> str:
    name = ALIASES.get(name, name)
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


def positive_pairs(pairs: pd.DataFrame, group: str, value: str, pos: float) -> pd.DataFrame:
    """Rows whose value, min-max normalised within its group, is above `pos` (a positive edge)."""
    lo = pairs.groupby(group)[value].transform("min")
    hi = pairs.groupby(group)[value].transform("max")
    keep = hi > lo
    norm = (pairs[value][keep] - lo[keep]) / (hi[keep] - lo[keep])
    return pairs[keep][norm > pos]


def expected_view_nodes(zoo: Path, modality: str, pos: float, similarity: float) -> dict[str, int]:
    """The nodes of a view built with default switches (pretrained on, LogME off): every model and
    dataset touched by a positive accuracy or model-card edge or by a similarity edge, by id."""
    runs = full_runs(zoo, modality)
    runs = runs.assign(dataset=runs["finetuned_dataset"].map(canonical))
    pairs = runs.groupby(["model", "dataset"], as_index=False)["eval_accuracy"].mean()
    accuracy = positive_pairs(pairs, "dataset", "eval_accuracy", pos)
    cfg = config(zoo, modality)
    source = cfg["labels"].fillna(cfg["dataset"]) if modality == "image" else cfg["dataset"]
    cards = pd.DataFrame({"model": cfg["model"], "dataset": source, "accuracy": cfg["accuracy"]}).dropna()
    cards = cards.assign(dataset=cards["dataset"].map(canonical))
    pretrained = positive_pairs(cards, "dataset", "accuracy", pos)
    matrix = pd.read_csv(zoo / FOLDERS[modality] / MATRIX[modality], index_col=0)
    names = [canonical(n) for n in matrix.index]
    upper = np.triu_indices(len(names), k=1)
    distances = matrix.to_numpy()[upper]
    sim = (distances.max() - distances) / (distances.max() - distances.min())
    similar = {names[i] for k in np.flatnonzero(sim > similarity) for i in (upper[0][k], upper[1][k])}
    models = set(accuracy["model"]) | set(pretrained["model"])
    datasets = set(accuracy["dataset"]) | set(pretrained["dataset"]) | similar
    return {
        "models": len(models),
        "datasets": len(datasets),
        "accuracy_pos": len(accuracy),
        "pretrained_pos": len(pretrained),
    }


# -- the graph ------------------------------------------------------------------------------------


def build(*args: str) -> list[dict[str, Any]]:
    proc = cli("graph", "build", "-f", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout))


@pytest.fixture(scope="module")
def all_view(zoo_graph: neo4j.Driver) -> neo4j.Driver:
    """The production view `all` with default settings, built once: the tests using it only read it
    (other tests build views of other names)."""
    build("--view", "all")
    return zoo_graph


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
    assert cli("graph", "drop", view).returncode == 0


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


def test_target_view_hides_exactly_the_targets_runs(all_view: neo4j.Driver, zoo: Path) -> None:
    zoo_graph = all_view
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
    views = json.loads(cli("graph", "views", "-f", "json").stdout)
    assert {"all", "without:cifar100", "without:glue/cola"} <= {v["name"] for v in views}


def test_stats_json_reports_both_modalities(all_view: neo4j.Driver, zoo: Path) -> None:
    proc = cli("graph", "stats", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stats = {row["modality"]: row for row in json.loads(proc.stdout)}
    assert set(stats) == {"image", "text"}
    for modality, row in stats.items():
        nodes = expected_view_nodes(zoo, modality, 0.5, 0.0)
        assert (row["accuracy_pos"], row["accuracy_neg"]) == expected_accuracy(zoo, modality, 0.5, 0.5)
        assert (row["pretrained_pos"], row["pretrained_neg"]) == expected_pretrained(zoo, modality, 0.5, 0.5)
        for key in ("accuracy_pos", "pretrained_pos"):  # the two derivations of the edges agree
            assert row[key] == nodes[key], key
        assert (row["transfer_pos"], row["transfer_neg"]) == (0, 0)  # LogME edges are off by default
        assert row["dataset_dataset"] == expected_similarity(zoo, modality, 0.0)
        assert (row["models"], row["datasets"]) == (nodes["models"], nodes["datasets"])
        assert row["nodes"] == nodes["models"] + nodes["datasets"] > 0
        edges = expected_similarity(zoo, modality, 0.0) + nodes["accuracy_pos"] + nodes["pretrained_pos"]
        assert row["average_degree"] == round(2 * edges / (nodes["models"] + nodes["datasets"]), 2)
        assert row["paper"]["nodes"] in (265, 188)


def test_node_counts_query_matches_pandas(all_view: neo4j.Driver, zoo: Path) -> None:
    """cypher/graph/node_counts.cypher on its own, per modality and label."""
    got = {(r["modality"], r["label"]): r["nodes"] for r in db.run(all_view, "graph/node_counts", view="all")}
    want = {}
    for modality in FOLDERS:
        nodes = expected_view_nodes(zoo, modality, 0.5, 0.0)
        want |= {(modality, "Model"): nodes["models"], (modality, "Dataset"): nodes["datasets"]}
    assert got == want


def test_drop_removes_the_view_and_only_it(zoo_graph: neo4j.Driver) -> None:
    build("--view", "keep")
    build("--view", "gone")
    assert cli("graph", "drop", "gone").returncode == 0
    assert edge_counts(zoo_graph, "gone") == {}
    assert edge_counts(zoo_graph, "keep") != {}
    again = cli("graph", "drop", "gone")
    assert again.returncode == 2 and "no view named 'gone'" in again.stderr


def test_a_target_that_is_no_dataset_is_refused_with_one_line(all_view: neo4j.Driver) -> None:
    """The one refused setting that needs the graph (the others: tests/unit/test_graph_settings.py)."""
    before = edge_counts(all_view, "all")
    assert before
    proc = cli("graph", "build", "--target", "no-such-dataset")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--target 'no-such-dataset': no such dataset" in proc.stderr
    assert edge_counts(all_view, "all") == before
    views = json.loads(cli("graph", "views", "-f", "json").stdout)
    assert "without:no-such-dataset" not in {v["name"] for v in views}


def test_stats_of_a_missing_view_is_an_error(zoo_graph: neo4j.Driver) -> None:
    proc = cli("graph", "stats", "--view", "nope")
    assert proc.returncode == 2 and "no view named 'nope'" in proc.stderr


# similar_models needs embeddings (`tg embed`): tests/server/test_embed.py runs it after embedding.
EXPLORE = sorted(p.stem for p in (REPO / "cypher" / "explore").glob("*.cypher") if p.stem != "similar_models")


@pytest.mark.parametrize("name", EXPLORE)
def test_explore_queries_run_with_their_own_params(all_view: neo4j.Driver, name: str) -> None:
    """Each Browser script in cypher/explore runs as written, with its :param values, and finds rows."""
    params, statement = browser_script(f"explore/{name}")
    assert params and all(f"${key}" in statement for key in params)
    records, _, _ = all_view.execute_query(statement, params)
    assert records, f"{name} returned no rows on the paper zoo"
