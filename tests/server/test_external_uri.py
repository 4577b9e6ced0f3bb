"""Every stage against a server given only by NEO4J_URI / NEO4J_USERNAME / NEO4J_PASSWORD (issue 17):
the session's second managed server, with TG_SERVER_DIR a folder that does not exist and the managed
ports pointing at nothing, so no stage can read that server's files (conf, logs, import folder,
password) or fall back to a local server. On a slice of the paper's image zoo: the transactional
ingest, graph build, Node2Vec in that server's GDS, predict, recommend, evaluate, and a user's dataset
placed by fingerprint; --bulk and a missing password are refused in one line, writing nothing."""

from __future__ import annotations

import csv
import json
import math
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from neo4j import GraphDatabase

from support import RUN_COLS, SecondServer, cli, columnar_mode, graph_dump, write_csv

pytestmark = pytest.mark.server

TARGETS = ["caltech101", "cifar100", "dtd", "flowers", "pets"]
MODELS = 30  # the first models (by id) fine-tuned on every target
UNTRIED = 10  # of them keep no run on cifar100: what `tg recommend --dataset cifar100` ranks
PROBE = "test/probe"
SIMILARITY = "corr_domain_similarity_google_vit_base_patch16_224_imagenet.csv"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


@dataclass(frozen=True)
class Slice:
    root: Path  # holds image_classification/ as the paper zoo's folder does
    models: list[str]
    runs: list[tuple[str, str]]  # (model, dataset) per run
    scores: set[tuple[str, str, str]]  # (model, dataset, metric)
    matrix: list[str]  # the similarity matrix's datasets


def zoo_slice(zoo: Path, root: Path) -> Slice:
    """The paper's image files cut to MODELS models, the TARGETS, and the similarity matrix of the
    targets and the models' source datasets; cifar100 keeps the runs of all but UNTRIED models."""
    src, out = zoo / "image_classification", root / "image_classification"
    out.mkdir(parents=True)
    runs = _rows(src / "records.csv")
    head = runs[0]
    model, dataset, acc = head.index("model"), head.index("finetuned_dataset"), head.index("eval_accuracy")
    tried: dict[str, set[str]] = {}
    for r in runs[1:]:
        tried.setdefault(r[model], set()).add(r[dataset])
    models = sorted(m for m, ds in tried.items() if set(TARGETS) <= ds)[:MODELS]
    untried = set(models[-UNTRIED:])
    kept = [r for r in runs[1:] if r[model] in models and r[dataset] in TARGETS and r[acc] != ""]
    kept = [r for r in kept if not (r[dataset] == "cifar100" and r[model] in untried)]
    _write(out / "records.csv", [head, *kept])
    config = _rows(src / "model_config_dataset.csv")
    chead = config[0]
    config = [chead, *(r for r in config[1:] if r[chead.index("model")] in models)]
    _write(out / "model_config_dataset.csv", config)
    scores = _rows(src / "transferability_score_records.csv")
    shead = scores[0]
    m, t, k = shead.index("model"), shead.index("target_dataset"), shead.index("metric")
    kept_scores = [r for r in scores[1:] if len(r) == len(shead) and r[m] in models and r[t] in TARGETS]
    _write(out / "transferability_score_records.csv", [shead, *kept_scores])
    features = _rows(src / "target_dataset_features.csv")
    _write(out / "target_dataset_features.csv", [features[0], *(r for r in features[1:] if r[0] in TARGETS)])
    sources = {r[chead.index("labels")] or r[chead.index("dataset")] for r in config[1:]}
    matrix = _rows(src / SIMILARITY)
    keep = [i for i, name in enumerate(matrix[0]) if i == 0 or name in set(TARGETS) | sources]
    _write(out / SIMILARITY, [[row[i] for i in keep] for row in matrix if row[0] in {"", *TARGETS, *sources}])
    return Slice(
        root,
        models,
        [(r[model], r[dataset]) for r in kept],
        {(r[m], r[t], r[k]) for r in kept_scores},
        [matrix[0][i] for i in keep[1:]],
    )


@dataclass
class External:
    env: dict[str, str]  # what `tg` is given: the URI, the credentials, nothing local
    driver: neo4j.Driver  # the test's own look at that server
    zoo: Slice
    home: Path
    out: dict[str, Any]  # each stage's --format json output
    seen: dict[str, Any]  # what the graph held right after each stage


def _one(drv: neo4j.Driver, query: str, **params: Any) -> Any:
    records, _, _ = drv.execute_query(query, params)
    return records[0][0]


def _tg(ext: External, stage: str, *args: str) -> Any:
    proc = cli(*args, "--format", "json", env=ext.env)
    assert proc.returncode == 0, f"{stage}: {proc.stderr}"
    ext.out[stage] = json.loads(proc.stdout)
    return ext.out[stage]


# my_photos lies near cifar100 and far from dtd (the farthest pair gives no similarity edge)
VECTORS = {"cifar100": [0.1, 0.2, 0.3, 0.4], "my_photos": [0.3, 0.1, 0.0, 0.4], "dtd": [2.0, 2.0, 2.0, 2.0]}


def _fingerprints(path: Path) -> Path:
    """A fingerprint file (docs/design.md, format 1) placing two zoo datasets and a new one in PROBE."""
    with open(path, "w", encoding="utf-8") as f:
        for name, vector in VECTORS.items():
            record = {"format": "transfergraph-fingerprint", "version": 1, "id": name, "modality": "image",
                      "probe": PROBE, "probe_revision": None, "vector": vector, "sample": 10, "seed": 0,
                      "source": None, "created_at": None}  # fmt: skip
            f.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(scope="module")
def external(
    second_server: SecondServer, zoo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[External]:
    """Every stage once, in pipeline order, through the URI (one setup for the module's tests)."""
    home = tmp_path_factory.mktemp("external")
    env = {
        "NEO4J_URI": second_server.uri,
        "NEO4J_USERNAME": "neo4j",
        "NEO4J_PASSWORD": second_server.password,
        "TG_SERVER_DIR": str(home / "no-server-here"),  # never created: nothing of a server to read
        "TG_BOLT_PORT": str(_free_port()),  # a managed-server fallback would find nothing
        "TG_HTTP_PORT": str(_free_port()),
        "TG_CACHE_DIR": str(home / "cache"),  # the client's own (saved rankers)
        "TG_ZOO_PATH": "",
    }
    with GraphDatabase.driver(second_server.uri, auth=("neo4j", second_server.password)) as drv:
        drv.execute_query("MATCH (n) DETACH DELETE n")
        ext = External(env, drv, zoo_slice(zoo, home / "zoo"), home, {}, {})
        d, s = ext.driver, ext.seen
        _tg(ext, "ingest", "ingest", "paper-zoo", "--path", str(ext.zoo.root), "--modality", "image")
        nodes, _, _ = d.execute_query("MATCH (n) UNWIND labels(n) AS k RETURN k, count(*) AS n")
        rels, _, _ = d.execute_query("MATCH ()-[r]->() RETURN type(r) AS k, count(*) AS n")
        s["ingest"] = {r["k"]: r["n"] for r in [*nodes, *rels]}
        # a user's dataset without its data: placed by fingerprint beside cifar100, then ranked
        _tg(ext, "fingerprints", "ingest", "fingerprints", str(_fingerprints(home / "fingerprints.jsonl")))
        s["fingerprints"] = _one(
            d,
            "MATCH (:Dataset {id: 'cifar100'})-[r:SIMILAR_TO {probe_model: $probe}]-(:Dataset {id: $new}) "
            "RETURN collect(r {.distance, .computed})",
            probe=PROBE,
            new="my_photos",
        )
        _tg(ext, "build", "graph", "build")
        s["build"] = {
            "views": _one(d, "MATCH (v:View) RETURN collect(v.name)"),
            "accuracy_edge": _one(d, "MATCH ()-[r:ACCURACY_EDGE {view: 'all'}]->() RETURN count(r)"),
            "similarity_edge": _one(d, "MATCH ()-[r:SIMILARITY_EDGE {view: 'all'}]->() RETURN count(r)"),
        }
        _tg(ext, "embed", "embed", "--method", "node2vec", "--dim", "16", "--walks-per-node", "2")
        vectors, _, _ = d.execute_query(
            "MATCH (:EmbeddingRun {view: 'all', method: 'node2vec', modality: 'image'})-[e:EMBEDS]->(n) "
            "RETURN n.id AS id, e.vector AS vector"
        )
        s["embed"] = {r["id"]: r["vector"] for r in vectors}
        _tg(ext, "predict", "predict", "--method", "rf+node2vec")
        predicted, _, _ = d.execute_query(
            "MATCH (m:Model)-[p:PREDICTED]->(ds:Dataset) RETURN m.id AS model, ds.id AS dataset, "
            "p.method AS method, p.view AS view"
        )
        s["predict"] = [r.data() for r in predicted]
        s["datasets"] = _one(d, "MATCH (n:Dataset {modality: 'image'}) RETURN count(n)")
        _tg(ext, "recommend", "recommend", "--dataset", "cifar100", "--top", "5")
        _tg(ext, "recommend_new", "recommend", "--dataset", "my_photos", "--top", str(MODELS))
        _tg(ext, "evaluate", "evaluate", "--modality", "image", "--targets", "cifar100", "--methods",
            "model-prior", "--seeds", "1", "--no-record")  # fmt: skip
        s["evaluate"] = _one(d, "MATCH (v:View) RETURN collect(v.name)")
        yield ext


def test_ingest_writes_the_slice_transactionally(external: External) -> None:
    zoo, seen = external.zoo, external.seen["ingest"]
    summary = {row["entity"]: row for row in external.out["ingest"]}
    n = len(zoo.matrix)
    # and the source's ingest state, so that the same files again are read as unchanged
    assert set(seen) == {"Model", "Dataset", "FINETUNED_ON", "PRETRAINED_ON", "TRANSFERABILITY", "SIMILAR_TO",
                         "SourceState"}  # fmt: skip
    assert seen["Model"] == summary["models"]["created"] == len(zoo.models)
    assert seen["FINETUNED_ON"] == summary["runs"]["created"] == len(zoo.runs)
    assert seen["PRETRAINED_ON"] == summary["pretrained_on"]["created"] == len(zoo.models)
    assert seen["TRANSFERABILITY"] == len(zoo.scores) > 0
    assert seen["SIMILAR_TO"] == summary["similarities"]["created"] == n * (n - 1) // 2
    assert seen["Dataset"] == summary["datasets"]["created"] >= n


def test_graph_build_derives_the_production_view(external: External) -> None:
    seen, stats = external.seen["build"], external.out["build"][0]
    assert seen["views"] == ["all"] and stats["view"] == "all"
    assert seen["accuracy_edge"] == stats["accuracy_edge"] == len(set(external.zoo.runs))
    assert 0 < seen["similarity_edge"] == stats["similarity_edge"]


def test_node2vec_runs_in_that_servers_gds(external: External) -> None:
    vectors, [summary] = external.seen["embed"], external.out["embed"]
    assert summary["nodes"] == len(vectors) and set(TARGETS) <= set(vectors)
    assert all(len(v) == 16 for v in vectors.values())
    assert any(abs(x) > 1e-6 for v in vectors.values() for x in v)


def test_predict_writes_every_pair_and_recommend_ranks_the_untried(external: External) -> None:
    """top-k 100 per dataset keeps every one of the slice's models: one PREDICTED edge per pair."""
    edges, [summary] = external.seen["predict"], external.out["predict"]
    pairs = {(e["model"], e["dataset"]) for e in edges}
    assert summary["predicted"] == len(edges) == len(pairs) == MODELS * external.seen["datasets"]
    assert {(e["method"], e["view"]) for e in edges} == {("rf+node2vec", "all")}
    shown = external.out["recommend"]
    untried = set(external.zoo.models[-UNTRIED:])
    assert shown["method"] == "rf+node2vec"
    assert [r["rank"] for r in shown["rows"]] == [1, 2, 3, 4, 5]
    assert {r["model"] for r in shown["rows"]} <= untried
    scores = [r["score"] for r in shown["rows"]]
    assert scores == sorted(scores, reverse=True)
    tried = {m for m, d in external.zoo.runs if d == "cifar100"}
    assert shown["tried"] == len(tried) == MODELS - UNTRIED and shown["best_tried"]["model"] in tried


def test_evaluate_scores_a_target_on_its_held_out_view(external: External) -> None:
    result = external.out["evaluate"]
    rows = [r for r in result["rows"] if r["method"] == "model-prior"]
    assert [(r["target"], r["n_models"]) for r in rows] == [("cifar100", MODELS - UNTRIED)]
    assert math.isfinite(rows[0]["pearson"])
    assert "without:cifar100" in external.seen["evaluate"]


def test_a_dataset_placed_by_fingerprint_is_ranked_with_its_neighbour(external: External) -> None:
    [edge] = external.seen["fingerprints"]
    assert edge["computed"] is True
    assert edge["distance"] == pytest.approx(math.dist(VECTORS["cifar100"], VECTORS["my_photos"]))
    shown = external.out["recommend_new"]
    assert [r["rank"] for r in shown["rows"]] == list(range(1, MODELS + 1))
    assert {r["model"] for r in shown["rows"]} == set(external.zoo.models)
    assert any(e["dataset"] == "cifar100" for r in shown["rows"] for e in r["evidence"])  # its neighbour


def test_nothing_local_was_read_or_made(external: External) -> None:
    """No stage created (so none read) the server folder TG_SERVER_DIR names."""
    assert not Path(external.env["TG_SERVER_DIR"]).exists()


@pytest.mark.parametrize("how", ["paper-zoo", "runs", "runs column-wise"])
def test_bulk_is_refused_in_one_line_and_writes_nothing(
    external: External, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if how == "paper-zoo":
        args = ["ingest", "paper-zoo", "--path", str(external.zoo.root), "--modality", "image"]
    else:
        rows = [[m, d, 0.5, f"bulk-{i}"] for i, (m, d) in enumerate(external.zoo.runs)]
        path = write_csv(external.home / "bulk.csv", ["model", "dataset", "acc", "id"], rows)
        args = ["ingest", "runs", str(path), "--modality", "image", *RUN_COLS, "--run-id-col", "id"]
        columnar_mode(monkeypatch, "always" if how == "runs column-wise" else "never")
    before = graph_dump(external.driver)
    proc = cli(*args, "--bulk", env=external.env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "--bulk" in proc.stderr and f"NEO4J_URI={external.env['NEO4J_URI']}" in proc.stderr
    assert graph_dump(external.driver) == before


def test_no_password_is_refused_not_taken_from_a_local_server_folder(
    external: External, tmp_path: Path
) -> None:
    """A managed server's password file (here even the right password) is never sent to NEO4J_URI."""
    folder = tmp_path / "managed"
    folder.mkdir()
    (folder / "password").write_text(external.env["NEO4J_PASSWORD"])
    env = {**external.env, "NEO4J_PASSWORD": "", "TG_SERVER_DIR": str(folder)}
    proc = cli("db", "cypher", "RETURN 1 AS one", env=env)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr == "error: NEO4J_URI is set but NEO4J_PASSWORD is not\n"
