"""`tg embed` on the real server and the paper zoo: every node of a view gets a vector of the chosen
dimension per method and modality, re-runs replace, `tg graph drop` removes, PyG reproduces exactly,
held-out link-prediction AUC, the Browser script, the one-line errors (missing view, no edges,
missing [gnn] extra, GNN memory over TG_GNN_MEMORY)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pytest

from transfergraph import embed as embeddings
from transfergraph.choices import EmbedMethod
from transfergraph.config import Settings
from transfergraph.cypher import browser_script
from transfergraph.embed import gnn
from transfergraph.embed.export import subgraph

from support import cli, tg

pytestmark = pytest.mark.server

EPOCHS = 100  # GNN epoch limit in tests (early stopping usually ends sooner); the default is 300
MODALITIES = ("image", "text")
EDGES = "ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE"


@pytest.fixture(scope="module")
def zoo_graph(zoo_graph: neo4j.Driver) -> neo4j.Driver:
    """The paper's zoo (conftest) with the production view and cifar100's (built again: a module
    before may have dropped or rebuilt them with other settings)."""
    for args in (("graph", "build", "-f", "json"), ("graph", "build", "--target", "cifar100", "-f", "json")):
        proc = cli(*args)
        assert proc.returncode == 0, proc.stderr
    return zoo_graph


def cli_embed(*args: str) -> list[dict[str, Any]]:
    proc = cli("embed", "-f", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout))


def view_nodes(drv: neo4j.Driver, view: str, positive_only: bool) -> dict[str, set[tuple[str, str]]]:
    """Per modality, the (label, id) of nodes touched by the view's edges, written independently of
    cypher/embed (walks use positive and similarity edges; the GNNs also see negative ones)."""
    records, _, _ = drv.execute_query(
        f"MATCH (a)-[r:{EDGES} {{view: $view}}]->(b:Dataset) "
        "WHERE NOT $positive_only OR coalesce(r.positive, true) "
        "UNWIND [a, b] AS n "
        "RETURN DISTINCT b.modality AS modality, labels(n)[0] AS label, n.id AS id",
        view=view,
        positive_only=positive_only,
    )
    out: dict[str, set[tuple[str, str]]] = {}
    for r in records:
        out.setdefault(r["modality"], set()).add((r["label"], r["id"]))
    return out


def stored_runs(drv: neo4j.Driver, view: str, method: str) -> list[dict[str, Any]]:
    records, _, _ = drv.execute_query(
        "MATCH (e:EmbeddingRun {view: $view, method: $method}) "
        "RETURN e.modality AS modality, e.dim AS dim, COUNT { (e)-[:EMBEDS]->() } AS vectors "
        "ORDER BY modality",
        view=view,
        method=method,
    )
    return [r.data() for r in records]


@pytest.mark.parametrize("method", ["node2vec", "node2vec-weighted"])
def test_node2vec_every_walked_node_gets_a_vector_and_reruns_replace(
    zoo_graph: neo4j.Driver, method: str
) -> None:
    expected = view_nodes(zoo_graph, "all", positive_only=True)
    assert set(expected) == set(MODALITIES)
    rows = cli_embed("--method", method, "--view", "all", "--dim", "16")
    assert {r["modality"]: r["nodes"] for r in rows} == {m: len(expected[m]) for m in MODALITIES}
    got = embeddings.vectors(zoo_graph, "all", EmbedMethod(method))
    assert set(got) == expected["image"] | expected["text"]
    assert {len(v) for v in got.values()} == {16}
    # Re-run with another dimension: replaced, never two copies.
    cli_embed("--method", method, "--view", "all", "--dim", "24", "--seed", "3")
    runs = stored_runs(zoo_graph, "all", method)
    assert [(r["modality"], r["dim"], r["vectors"]) for r in runs] == [
        (m, 24, len(expected[m])) for m in MODALITIES
    ]
    again = embeddings.vectors(zoo_graph, "all", EmbedMethod(method))
    assert set(again) == set(got) and {len(v) for v in again.values()} == {24}
    # The production view's vector is on the nodes too (the Browser and the vector index read it).
    prop = "embedding_" + method.replace("-", "_")
    records, _, _ = zoo_graph.execute_query(
        "MATCH (n) WHERE n[$p] IS NOT NULL RETURN labels(n)[0] AS label, n.id AS id, n[$p] AS v", p=prop
    )
    assert {(r["label"], r["id"]): list(r["v"]) for r in records} == again


def test_node2vec_is_reproducible_with_a_seed_across_view_rebuilds(
    zoo_graph: neo4j.Driver, settings: Settings
) -> None:
    """A rebuild gives the view's edges new element ids, hence another order in which a projection
    by id would number the nodes (and other walks from the same seed): embed/project orders by key."""
    first = embeddings.embed(zoo_graph, settings, "without:cifar100", EmbedMethod.node2vec, dim=8, seed=5)
    a = embeddings.vectors(zoo_graph, "without:cifar100", EmbedMethod.node2vec)
    embeddings.embed(zoo_graph, settings, "without:cifar100", EmbedMethod.node2vec, dim=8, seed=5)
    assert embeddings.vectors(zoo_graph, "without:cifar100", EmbedMethod.node2vec) == a
    proc = cli("graph", "build", "--target", "cifar100", "-f", "json")
    assert proc.returncode == 0, proc.stderr
    embeddings.embed(zoo_graph, settings, "without:cifar100", EmbedMethod.node2vec, dim=8, seed=5)
    assert embeddings.vectors(zoo_graph, "without:cifar100", EmbedMethod.node2vec) == a
    assert [r["modality"] for r in first] == ["image"]  # a target view covers its target's modality


@pytest.fixture(scope="module")
def node2vec_auc(zoo_graph: neo4j.Driver, settings: Settings) -> dict[str, float]:
    rows = embeddings.embed(
        zoo_graph, settings, "all", EmbedMethod.node2vec, seed=0, holdout=0.1, show_progress=False
    )
    return {r["modality"]: r["auc"] for r in rows}


@pytest.mark.parametrize(
    "modality",
    [
        "image",
        pytest.param(
            "text",
            marks=pytest.mark.xfail(
                reason="measured 0.50 ± 0.05 over seeds 0-2 (benchmarks/embed_bench.py): the cosine of "
                "walk vectors hardly separates good from bad text runs",
                strict=True,  # seeded: deterministic; a pass means the shortfall is fixed
            ),
        ),
    ],
)
def test_node2vec_held_out_auc(node2vec_auc: dict[str, float], modality: str) -> None:
    """10 % of positive model-dataset edges left out of the projection, scored against the real
    negative edges by the cosine of the two end vectors."""
    assert node2vec_auc[modality] > 0.7


def test_similar_models_browser_script(zoo_graph: neo4j.Driver) -> None:
    cli_embed("--method", "node2vec", "--view", "all")
    params, statement = browser_script("explore/similar_models")
    assert params and all(f"${key}" in statement for key in params)
    records, _, _ = zoo_graph.execute_query(statement, params)
    rows = [r.data() for r in records]
    assert len(rows) == 10
    stored = embeddings.vectors(zoo_graph, "all", EmbedMethod.node2vec)
    me = np.asarray(stored[("Model", params["model"])])
    peers, _, _ = zoo_graph.execute_query(
        "MATCH (m:Model {id: $id}), (o:Model {modality: m.modality}) WHERE o <> m RETURN o.id AS id",
        id=params["model"],
    )
    cosine = {}
    for r in peers:
        if ("Model", r["id"]) in stored:
            v = np.asarray(stored[("Model", r["id"])])
            cosine[r["id"]] = float(me @ v / np.linalg.norm(me) / np.linalg.norm(v))
    best = sorted(cosine, key=lambda k: -cosine[k])
    assert rows[0]["model"] == best[0]
    for row in rows:
        assert row["cosine"] == pytest.approx(cosine[row["model"]], abs=1e-5)
    assert [r["cosine"] for r in rows] == sorted((r["cosine"] for r in rows), reverse=True)
    assert rows[-1]["cosine"] >= cosine[best[9]] - 1e-5  # nothing closer was missed


@pytest.fixture(scope="module")
def gnn_runs(zoo_graph: neo4j.Driver, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """One GraphSAGE and one GAT run on the production view, shared by the GNN tests."""
    return {
        m: embeddings.embed(
            zoo_graph, settings, "all", EmbedMethod(m), seed=0, epochs=EPOCHS, show_progress=False
        )
        for m in ("graphsage", "gat")
    }


@pytest.mark.parametrize("method", ["graphsage", "gat"])
def test_gnn_every_node_gets_a_vector_and_auc_above_chance(
    zoo_graph: neo4j.Driver, gnn_runs: dict[str, list[dict[str, Any]]], method: str
) -> None:
    expected = view_nodes(zoo_graph, "all", positive_only=False)
    got = embeddings.vectors(zoo_graph, "all", EmbedMethod(method))
    assert set(got) == expected["image"] | expected["text"]
    assert {len(v) for v in got.values()} == {128}
    assert all(np.isfinite(v).all() for v in got.values())
    for row in gnn_runs[method]:
        assert row["nodes"] == len(expected[row["modality"]])
        assert row["auc"] > 0.7, row


@pytest.mark.parametrize("method", ["graphsage", "gat"])
def test_gnn_same_seed_reproduces_exactly(
    zoo_graph: neo4j.Driver, settings: Settings, gnn_runs: dict[str, list[dict[str, Any]]], method: str
) -> None:
    before = embeddings.vectors(zoo_graph, "all", EmbedMethod(method))
    rows = embeddings.embed(
        zoo_graph, settings, "all", EmbedMethod(method), seed=0, epochs=EPOCHS, show_progress=False
    )
    assert embeddings.vectors(zoo_graph, "all", EmbedMethod(method)) == before
    assert [r["auc"] for r in rows] == [r["auc"] for r in gnn_runs[method]]


def test_list_shows_one_row_per_stored_embedding(
    zoo_graph: neo4j.Driver, gnn_runs: dict[str, list[dict[str, Any]]]
) -> None:
    """`gnn_runs` stored embeddings (so the test also runs alone)."""
    proc = cli("embed", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    records, _, _ = zoo_graph.execute_query("MATCH (e:EmbeddingRun) RETURN count(e) AS n")
    assert len(rows) == records[0]["n"] > 0
    keys = [(r["view"], r["method"], r["modality"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {"view", "method", "modality", "nodes", "dim", "seed", "seconds", "created_at"} <= set(rows[0])


def test_graph_drop_removes_the_views_embeddings(zoo_graph: neo4j.Driver) -> None:
    cli_embed("--method", "node2vec", "--view", "without:cifar100", "--view", "all", "--dim", "8")
    assert stored_runs(zoo_graph, "without:cifar100", "node2vec")
    for view in ("without:cifar100", "all"):
        proc = cli("graph", "drop", view)
        assert proc.returncode == 0, proc.stderr
        assert not stored_runs(zoo_graph, view, "node2vec")
        assert embeddings.vectors(zoo_graph, view, EmbedMethod.gat) == {}
    records, _, _ = zoo_graph.execute_query(
        "MATCH (n) WHERE any(k IN keys(n) WHERE k STARTS WITH 'embedding_') RETURN count(n) AS n"
    )
    assert records[0]["n"] == 0
    records, _, _ = zoo_graph.execute_query("MATCH (e:EmbeddingRun) RETURN count(e) AS n")
    assert records[0]["n"] == 0
    proc = cli("graph", "build", "-f", "json")  # leave the production view for later modules
    assert proc.returncode == 0, proc.stderr


def test_missing_view_and_edgeless_view_are_one_line_errors(zoo_graph: neo4j.Driver) -> None:
    proc = cli("embed", "--method", "node2vec", "--view", "nope")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no view named 'nope'" in proc.stderr
    assert "all" in proc.stderr  # the existing views are listed
    build = cli(
        "graph", "build", "--view", "empty", "--no-pretrained",
        "--threshold", "accuracy_pos=1", "--threshold", "similarity=1", "-f", "json",
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    proc = cli("embed", "--method", "graphsage", "--view", "empty")
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "no positive or similarity edges" in proc.stderr


def without_torch(folder: Path) -> dict[str, str]:
    """An environment whose Python cannot import torch or PyG (a sitecustomize in `folder`)."""
    (folder / "sitecustomize.py").write_text(
        textwrap.dedent(
            """
            import sys
            sys.modules["torch"] = None
            sys.modules["torch_geometric"] = None
            """
        )
    )
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}


def test_gnn_without_torch_names_the_extra_and_node2vec_still_runs(
    zoo_graph: neo4j.Driver, tmp_path: Path
) -> None:
    """torch is installed here; a sitecustomize makes `import torch` fail as on a core install."""
    env = without_torch(tmp_path)
    proc = tg("embed", "--method", "gat", "--view", "all", env=env)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip() == "error: --method graphsage/gat needs torch and torch-geometric: "
        "pip install 'transfergraph[gnn]'"
    )
    proc = tg("embed", "--method", "node2vec", "--view", "all", "--dim", "8", "-f", "json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert {r["modality"] for r in json.loads(proc.stdout)} == set(MODALITIES)


def stored_state(drv: neo4j.Driver, view: str, method: str) -> list[Any]:
    """Everything an embedding run of (view, method) writes: its runs, their vectors, and the
    production view's node property."""
    runs, _, _ = drv.execute_query(
        "MATCH (e:EmbeddingRun {view: $view, method: $method})-[v:EMBEDS]->(n) "
        "RETURN e.modality AS modality, e.created_at AS created, n.id AS id, v.vector AS vector ORDER BY id",
        view=view,
        method=method,
    )
    nodes, _, _ = drv.execute_query(
        "MATCH (n) WHERE n[$p] IS NOT NULL RETURN n.id AS id, n[$p] AS v ORDER BY id",
        p="embedding_" + method,
    )
    return [r.data() for r in [*runs, *nodes]]


@pytest.mark.parametrize("method", ["graphsage", "gat"])
def test_gnn_over_the_memory_limit_refuses_in_one_line_and_writes_nothing(
    zoo_graph: neo4j.Driver, method: str, tmp_path: Path
) -> None:
    """TG_GNN_MEMORY below the full-batch estimate: exit 2 before training, one line giving the
    estimate for the view's nodes and edges and the limit; what (view, method) had stored stays.
    Under the lower bound (one feature) it refuses before exporting and before importing torch
    (checked with torch unimportable); between that and the estimate with the real features, after."""
    before = stored_state(zoo_graph, "all", method)
    # The image modality comes first; its node and edge counts, found here without cypher/embed.
    nodes = len(view_nodes(zoo_graph, "all", positive_only=False)["image"])
    records, _, _ = zoo_graph.execute_query(
        f"MATCH ()-[r:{EDGES} {{view: 'all'}}]->(:Dataset {{modality: 'image'}}) RETURN count(r) AS n"
    )
    edges = 2 * records[0]["n"]  # message passing runs both ways
    width = gnn.node_features(subgraph(zoo_graph, "all", "image")).shape[1]
    size = {"nodes": nodes, "edges": edges, "dim": 128}
    lower = gnn.training_bytes(EmbedMethod(method), width=1, **size)
    need = gnn.training_bytes(EmbedMethod(method), width=width, **size)
    assert 1 << 20 < lower < need
    between = (lower + need) // 2
    for limit, expected in [
        ("1m", f"needs over ~{gnn.size_text(lower)} ({nodes} nodes, {edges} edges, before node features), "
               "over the 1.0 MiB limit"),
        (str(between), f"needs ~{gnn.size_text(need)} ({nodes} nodes, {edges} edges, {width} features), "
                       f"over the {gnn.size_text(between)} limit"),
    ]:  # fmt: skip
        if limit == "1m":  # a whole process that cannot import torch: refused before it would
            env = {"TG_GNN_MEMORY": limit, **without_torch(tmp_path)}
            proc = tg("embed", "--method", method, "--view", "all", env=env)
        else:
            proc = cli("embed", "--method", method, "--view", "all", env={"TG_GNN_MEMORY": limit})
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == "" and proc.stderr.strip() == (
            f"error: {method} on view 'all' (image): full-batch training {expected} (TG_GNN_MEMORY); "
            "GraphSAGE/GAT have no neighbour sampling yet"
        )
        assert stored_state(zoo_graph, "all", method) == before
    proc = cli("embed", "--method", method, "--view", "all", env={"TG_GNN_MEMORY": "lots"})
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: TG_GNN_MEMORY: 'lots' is not a size like 4g or 512m"
    assert stored_state(zoo_graph, "all", method) == before
