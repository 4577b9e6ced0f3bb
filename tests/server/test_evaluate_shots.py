"""`tg evaluate --shots` on the paper zoo: the revealed models are the draw's seeded ones among the
target's measured runs, they are left out of every scored row, each ranking and its few-shot version
are scored on the same models, and nothing is recorded for `tg recommend`."""

from __future__ import annotations

import json

import neo4j
import pytest

from transfergraph.evaluation import protocol as evaluate
from transfergraph.rankers import fewshot

from support import cli

pytestmark = pytest.mark.server

TARGET = "glue/sst2"


def test_shots_score_zero_and_few_shot_on_the_same_unrevealed_models(zoo_graph: neo4j.Driver) -> None:
    choices = "MATCH (c:Choice) RETURN count(c) AS n"
    before = zoo_graph.execute_query(choices).records[0]["n"]  # a shared zoo: another test may record
    out = cli("evaluate", "--modality", "text", "-t", TARGET, "--shots", "3", "--draws", "2",
             "-m", "lr+none", "--seeds", "1", "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["shots"] == [3] and result["draws"] == 2 and result["draw_seeds"] == [0, 1]
    gt = evaluate.ground_truth(zoo_graph, TARGET)
    rows = result["rows"]
    assert {(r["shots"], r["draw"], r["target"]) for r in rows} == {(3, 0, TARGET), (3, 1, TARGET)}
    for draw in (0, 1):
        expected = set(gt["model"].iloc[fewshot.reveal(gt["model"], 3, draw)])
        drawn = [r for r in rows if r["draw"] == draw]
        assert all(set(r["revealed"]) == expected for r in drawn)
        prior = next(r for r in drawn if r["method"] == "model-prior")
        assert prior["n_models"] == len(gt) - 3  # every other measured model, none of the revealed
        zero = {(r["base_method"], r["seed"]): r for r in drawn if r["variant"] == "zero-shot"}
        few = {(r["base_method"], r["seed"]): r for r in drawn if r["variant"] == "few-shot"}
        assert set(zero) == set(few) and ("lr+none", 0) in zero and ("logme-profile-history", 0) in zero
        for key, z in zero.items():
            assert few[key]["method"] == f"{key[0]}+shots" and few[key]["n_models"] == z["n_models"]
    methods = {s["method"] for s in result["summary"]}
    assert {"model-prior", "model-prior+shots", "lr+none", "lr+none+shots"} <= methods
    few_summary = [s for s in result["summary"] if s["variant"] == "few-shot"]
    assert all("gain_pearson_plain" in s and "gain_pearson_weighted" in s for s in few_summary)
    # settings chosen on the training datasets: a learned ranking's weight with the prior standing in
    assert "k=3: power=" in " ".join(result["notes"]["model-prior+shots"])
    assert "(nested on model-prior (stand-in))" in " ".join(result["notes"]["lr+none+shots"])
    assert zoo_graph.execute_query(choices).records[0]["n"] == before  # --shots never records a best method


def test_shots_table_and_refusals(zoo_graph: neo4j.Driver) -> None:
    out = cli("evaluate", "--modality", "text", "-t", TARGET, "--shots", "1", "--draws", "1",
             "-m", "lr+none", "--seeds", "1")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "1 shot(s)" in out.stdout and "+shots" in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    refused = cli("evaluate", "--modality", "text", "-t", TARGET, "--shots", "0")
    assert refused.returncode == 2 and "at least 1" in refused.stderr
    refused = cli("evaluate", "--modality", "text", "-t", TARGET, "--shots", "1000")
    assert refused.returncode == 2 and "at most" in refused.stderr
