"""The facade's methods called directly, as a notebook would (the CLI tests call them through `tg`):
typed results with `.frame()`, on the shared paper zoo."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j
import pytest

from transfergraph import TransferGraph
from transfergraph.errors import ParameterError, TGError

pytestmark = pytest.mark.server

TARGET = "dtd"


def test_database_methods(zoo_graph: neo4j.Driver) -> None:
    with TransferGraph() as tg:
        status = tg.status()
        assert status["running"] and status["neo4j_version"].startswith("5.26")
        assert "dataset_id" in " ".join(tg.apply_schema())
        rows = tg.cypher("MATCH (d:Dataset {id: $id}) RETURN d.modality AS modality", {"id": "cifar100"})
        assert rows == [{"modality": "image"}]
        with pytest.raises(TGError, match=r"^Cypher error Neo\.ClientError\.Statement\.SyntaxError"):
            tg.cypher("MATCH (d:Dataset RETURN d")
    assert TransferGraph.server_log().name in ("neo4j.log", "console.log")


def test_a_given_driver_is_used_and_left_open(zoo_graph: neo4j.Driver) -> None:
    with TransferGraph(driver=zoo_graph) as tg:
        assert tg.cypher("RETURN 1 AS one") == [{"one": 1}]
    assert zoo_graph.execute_query("RETURN 2 AS two").records[0]["two"] == 2  # still open


def test_graph_methods_return_typed_results(zoo_graph: neo4j.Driver) -> None:
    view = f"without:{TARGET}"
    with TransferGraph() as tg:
        built = tg.graph_build(TARGET, thresholds=["accuracy_pos=0.6"])
        assert [b.view for b in built] == [view] and built[0].target == TARGET
        assert built[0].accuracy_edge > 0 and built[0].similarity_edge > 0
        assert list(built.frame().columns[:2]) == ["view", "target"]
        listed = {v.name: v for v in tg.graph_views()}
        assert listed[view].properties["accuracy_pos"] == 0.6 and listed[view].target == TARGET
        stats = tg.graph_stats(view)
        assert [s.modality for s in stats] == ["image"] and stats.view == view
        assert stats[0].accuracy_pos == built[0].accuracy_edge - stats[0].accuracy_neg
        embedded = tg.embed("node2vec", views=view, dim=8, epochs=1)
        assert [(e.view, e.method, e.modality, e.dim) for e in embedded] == [(view, "node2vec", "image", 8)]
        assert (view, "node2vec") in {(e.view, e.method) for e in tg.embeddings()}
        assert tg.graph_drop(view) > 0
        with pytest.raises(ParameterError, match=r"^target: 'nope': no such dataset"):
            tg.graph_build("nope")


def test_ingest_methods_dry_run_write_nothing(zoo_graph: neo4j.Driver, zoo: Path, tmp_path: Path) -> None:
    before = zoo_graph.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    records = tmp_path / "models.jsonl"
    records.write_text(json.dumps({"id": "org/new-vit", "pipeline_tag": "image-classification"}) + "\n")
    with TransferGraph() as tg:
        zoo_part = tg.ingest_paper_zoo(zoo, modalities="text", dry_run=True)
        assert zoo_part.dry_run and zoo_part.tally("runs").rows > 0 and zoo_part.tally("runs").created is None
        models = tg.ingest_hf_models(records, dry_run=True)
        assert models.tally("models").rows == 1 and models.frame()["entity"].iloc[0] == "datasets"
        with pytest.raises(TGError, match="no dataset is embedded with probe 'nobody/probe'"):
            tg.export_fingerprints(tmp_path / "f.jsonl", probe="nobody/probe")
    assert zoo_graph.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == before
