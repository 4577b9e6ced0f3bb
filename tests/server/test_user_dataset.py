"""A user's own dataset end to end on the real server, offline: `tg model add` (the packaged
all-MiniLM-L6-v2, a tiny random ViT), `tg dataset add / embed`, `tg score` (resumable),
`tg predict --dataset` (a refresh of that dataset only), `tg recommend --exclude-tried / --next`,
and the bad inputs that must write nothing."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pytest

from transfergraph import config, graph
from transfergraph import transferability as scores
from transfergraph.db import run
from transfergraph.features import table as feats
from transfergraph.userdata import data, encode

from support import cli, write_csv

pytestmark = pytest.mark.server

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
KNOWN = ["k1", "k2", "k3"]
ZOO_MODELS = [f"zoo/t{i}" for i in range(8)]
POS = ["a wonderful film", "great acting and a moving story", "I loved every minute", "brilliant fun"]
NEG = ["a boring mess", "terrible plot and bad acting", "I hated it", "dull and far too long"]


def reviews(path: Path, suffix: str = "", n: int = 40) -> Path:
    rows = [[f"{(POS if i % 2 else NEG)[i % 4]}{suffix} #{i}", "pos" if i % 2 else "neg"] for i in range(n)]
    return write_csv(path, ["text", "label"], rows)


def text_zoo(driver: neo4j.Driver) -> None:
    rng = np.random.default_rng(1)
    driver.execute_query("MATCH (n) DETACH DELETE n")
    run(driver, "ingest/datasets", rows=[{"id": d, "modality": "text", "props": {}} for d in KNOWN])
    run(driver, "ingest/models", rows=[{"id": m, "modality": "text", "props": {}} for m in ZOO_MODELS])
    runs = [
        {"run_id": f"{m}|{d}", "model": m, "dataset": d,
         "props": {"accuracy": float(rng.uniform(0.5, 0.95)), "peft": "full"}}
        for m in ZOO_MODELS for d in KNOWN
    ]  # fmt: skip
    run(driver, "ingest/runs", rows=runs)


def graph_size(driver: neo4j.Driver) -> tuple[int, int, dict[str, Any]]:
    nodes = run(driver, "readback/datasets")
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n")
    props, _, _ = driver.execute_query("MATCH (d:Dataset) RETURN d.id AS id, properties(d) AS p ORDER BY id")
    return len(nodes), rels[0]["n"], {r["id"]: r["p"] for r in props}


@pytest.fixture(scope="module")
def offline() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def added(module_wiped: neo4j.Driver, tmp_path_factory: pytest.TempPathFactory, offline: None) -> Path:
    """The text zoo, the packaged model added offline, and two datasets of the user's."""
    folder = tmp_path_factory.mktemp("user")
    text_zoo(module_wiped)
    out = cli("model", "add", MINILM, "--format", "json")
    assert out.returncode == 0, out.stderr
    for name, suffix in (("mine", ""), ("theirs", " lol")):
        out = cli("dataset", "add", name, "--from", str(reviews(folder / f"{name}.csv", suffix)),
                  "--modality", "text", "--format", "json")  # fmt: skip
        assert out.returncode == 0, out.stderr
    return folder


def test_dataset_add_stores_the_probe_embedding_and_distances(driver: neo4j.Driver, added: Path) -> None:
    rows, _, _ = driver.execute_query(
        "MATCH (d:Dataset) WHERE d.id IN ['mine', 'theirs'] RETURN d.id AS id, properties(d) AS p ORDER BY id"
    )
    by_id = {r["id"]: r["p"] for r in rows}
    mine = by_id["mine"]
    assert mine["modality"] == "text" and mine["num_classes"] == 2 and mine["num_samples"] == 40
    assert mine["probe_model"] == MINILM and len(mine["probe_embedding"]) == 384
    # the stored embedding is the mean feature of the packaged model over the sample
    loaded = data.read(added / "mine.csv", "text")
    expected = np.asarray(encode.probe_embedding(MINILM, loaded))
    assert np.allclose(mine["probe_embedding"], expected, atol=1e-5)
    sim, _, _ = driver.execute_query(
        "MATCH (a:Dataset {id: 'mine'})-[s:SIMILAR_TO]-(b:Dataset {id: 'theirs'}) RETURN s"
    )
    assert len(sim) == 1 and sim[0]["s"]["probe_model"] == MINILM and sim[0]["s"]["computed"] is True
    gap = math.dist(mine["probe_embedding"], by_id["theirs"]["probe_embedding"])
    assert sim[0]["s"]["distance"] == pytest.approx(gap)


def test_score_writes_logme_and_resumes(driver: neo4j.Driver, added: Path) -> None:
    out = cli("score", "-d", "mine", "--models", MINILM, "--metric", "logme", "--metric", "reg-h-score",
              "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    stored = {
        r["metric"]: r["score"]
        for r in driver.execute_query(
            "MATCH (:Model {id: $m})-[t:TRANSFERABILITY]->(:Dataset {id: 'mine'}) "
            "RETURN t.metric AS metric, t.score AS score",
            m=MINILM,
        )[0]
    }
    features = encode.features(MINILM, data.read(added / "mine.csv", "text"))
    labels = data.read(added / "mine.csv", "text").labels
    assert stored["LogME"] == pytest.approx(scores.logme(features, labels), rel=1e-6)
    assert stored["Reg-H-Score"] == pytest.approx(scores.reg_h_score(features, labels), rel=1e-6)
    again = cli("score", "-d", "mine", "--models", MINILM, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert [r["status"] for r in json.loads(again.stdout)] == ["already scored"]


def test_dataset_embed_places_a_known_dataset_in_the_probe_space(driver: neo4j.Driver, added: Path) -> None:
    before = run(driver, "readback/dataset", id="k1")
    source = str(reviews(added / "k1.csv", " meh"))
    out = cli("dataset", "embed", "k1", "--from", source, "--modality", "text", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["similar_to"] == 2  # mine and theirs, same probe
    props = driver.execute_query("MATCH (d:Dataset {id: 'k1'}) RETURN properties(d) AS p")[0][0]["p"]
    assert props["probe_model"] == MINILM and "num_samples" not in props  # a zoo dataset keeps its size
    assert run(driver, "readback/dataset", id="k1") == before
    pairs = driver.execute_query(
        "MATCH (:Dataset {id: 'k1'})-[:SIMILAR_TO {probe_model: $p}]-(d:Dataset) RETURN d.id AS d ORDER BY d",
        p=MINILM,
    )[0]
    assert [r["d"] for r in pairs] == ["mine", "theirs"]


def test_an_interrupted_score_keeps_what_it_finished(driver: neo4j.Driver, added: Path) -> None:
    """Offline, a zoo model without local weights fails after MiniLM's score was written; the re-run
    skips MiniLM (resumable) and fails again on the same model, in one line."""
    out = cli("score", "-d", "theirs", "--models", MINILM, "--models", "zoo/t0")
    assert out.returncode == 2 and "zoo/t0" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    written = driver.execute_query(
        "MATCH (m:Model)-[t:TRANSFERABILITY]->(:Dataset {id: 'theirs'}) RETURN m.id AS m, t.metric AS metric"
    )[0]
    assert [(r["m"], r["metric"]) for r in written] == [(MINILM, "LogME")]
    again = cli("score", "-d", "theirs", "--models", MINILM, "--format", "json")
    assert [r["status"] for r in json.loads(again.stdout)] == ["already scored"]
    top = cli("score", "-d", "theirs", "--top-from-graph", "2")
    assert top.returncode == 2 and "cannot load model" in top.stderr  # zoo models: no weights offline


def predictions(driver: neo4j.Driver, dataset: str) -> list[tuple[Any, ...]]:
    rows = driver.execute_query(
        "MATCH (m:Model)-[p:PREDICTED]->(:Dataset {id: $d}) "
        "RETURN m.id AS m, p.score AS s, p.expected AS e, p.expected_low AS lo, p.expected_high AS hi "
        "ORDER BY m",
        d=dataset,
    )[0]
    return [tuple(r.values()) for r in rows]


def test_refresh_predicts_only_the_new_dataset_and_recommend_excludes_tried(
    driver: neo4j.Driver, added: Path
) -> None:
    graph.build(driver, None, "all", graph.BuildSettings())
    assert cli("predict", "--method", "model-prior").returncode == 0
    before = driver.execute_query(
        "MATCH ()-[p:PREDICTED]->(d:Dataset) WHERE d.id <> 'mine' RETURN d.id AS d, p.created_at AS t "
        "ORDER BY d, t"
    )[0]
    ingest = write_csv(added / "runs.csv", ["model", "dataset", "acc"],
                       [["zoo/t0", "mine", 0.91], ["zoo/t1", "mine", 0.62]])  # fmt: skip
    out = cli("ingest", "runs", str(ingest), "--model-col", "model", "--dataset-col", "dataset",
              "--accuracy-col", "acc", "--modality", "text")  # fmt: skip
    assert out.returncode == 0, out.stderr
    timings = added / "timings.json"
    out = cli("predict", "-d", "mine", "--method", "model-prior", "--format", "json",
              env={"TG_PREDICT_TIMINGS": str(timings)})  # fmt: skip
    assert out.returncode == 0, out.stderr
    # every zoo model (MiniLM has no history anywhere, so the model prior has nothing to say of it)
    assert json.loads(out.stdout)[0]["predicted"] == len(ZOO_MODELS)
    # the full run's saved edges, fit and calibration served, patched with mine's new edges ...
    steps = json.loads(timings.read_text())
    assert "patch saved edges" in steps and "export edges" not in steps
    # ... and they write what exporting and fitting anew writes
    reused = predictions(driver, "mine")
    shutil.rmtree(config.load().cache_dir / "predict-state")
    out = cli("predict", "-d", "mine", "--method", "model-prior", env={"TG_PREDICT_TIMINGS": str(timings)})
    assert out.returncode == 0 and "export edges" in json.loads(timings.read_text())
    assert predictions(driver, "mine") == reused and len(reused) == len(ZOO_MODELS)
    after = driver.execute_query(
        "MATCH ()-[p:PREDICTED]->(d:Dataset) WHERE d.id <> 'mine' RETURN d.id AS d, p.created_at AS t "
        "ORDER BY d, t"
    )[0]
    assert after == before  # nothing else was re-predicted
    edges = driver.execute_query(
        "MATCH (:Model)-[a:ACCURACY_EDGE {view: 'all'}]->(:Dataset {id: 'mine'}) RETURN count(a) AS n"
    )[0][0]["n"]
    assert edges == 2  # the refresh derived the new runs' edges

    result = json.loads(cli("recommend", "-d", "mine", "--format", "json").stdout)
    ranked = [r["model"] for r in result["rows"]]
    assert "zoo/t0" not in ranked and "zoo/t1" not in ranked and len(ranked) == len(ZOO_MODELS) - 2
    assert [m["model"] for m in result["measured"]] == ["zoo/t0", "zoo/t1"]
    both = json.loads(cli("recommend", "-d", "mine", "--include-tried", "--format", "json").stdout)
    assert {"zoo/t0", "zoo/t1"} <= {r["model"] for r in both["rows"]}
    nxt = cli("recommend", "-d", "mine", "--next", "2")
    assert nxt.returncode == 0 and "fine-tune next" in nxt.stdout
    assert ranked[0] in nxt.stdout and "already fine-tuned on mine: 2 models, best zoo/t0 0.910" in nxt.stdout


def test_the_saved_edges_patched_equal_a_fresh_export(driver: neo4j.Driver, added: Path) -> None:
    """A refresh of one dataset re-reads its edges and the similarity only (predict/state.py): after
    new runs on `theirs`, the saved edges patched equal exporting every edge anew."""
    from transfergraph.features import collaborative
    from transfergraph.predict import state

    assert cli("predict", "--method", "model-prior").returncode == 0
    stamp = feats.view_settings(driver, "all")["stamp"]
    saved = state.load(config.load(), "all", "model-prior", "text", stamp)
    assert saved is not None
    runs = [["zoo/t2", "theirs", 0.7], ["zoo/t3", "theirs", 0.8], ["zoo/t4", "theirs", 0.75]]
    ingest = write_csv(added / "more.csv", ["model", "dataset", "acc"], runs)
    out = cli("ingest", "runs", str(ingest), "--model-col", "model", "--dataset-col", "dataset",
              "--accuracy-col", "acc", "--modality", "text")  # fmt: skip
    assert out.returncode == 0, out.stderr
    graph.refresh_dataset(driver, "all", "theirs")
    patched = collaborative.patched(saved.edges, driver, "all", "text", ["theirs"])
    fresh = collaborative.export(driver, "all", "text")
    assert patched is not None
    assert patched.acc[:, list(fresh.datasets).index("theirs")].nnz == 3  # the new runs' edges
    assert list(patched.models) == list(fresh.models) and list(patched.datasets) == list(fresh.datasets)
    assert list(patched.targets) == list(fresh.targets)
    for name in ("acc", "sim", "sim_max", "source"):
        a, b = getattr(patched, name), getattr(fresh, name)
        assert (a.indptr == b.indptr).all() and (a.indices == b.indices).all(), name
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_image_path_with_a_tiny_random_vit(driver: neo4j.Driver, added: Path, tmp_path: Path) -> None:
    import torch
    from PIL import Image
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    torch.manual_seed(0)
    vit = tmp_path / "tiny-vit"
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                       image_size=32, patch_size=8)  # fmt: skip
    ViTModel(config).save_pretrained(vit)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(vit)
    images = tmp_path / "images"
    rng = np.random.default_rng(0)
    for c, level in (("dark", 40), ("light", 210)):
        (images / c).mkdir(parents=True)
        for i in range(6):
            pixels = np.clip(rng.normal(level, 20, (32, 32, 3)), 0, 255).astype("uint8")
            Image.fromarray(pixels).save(images / c / f"{i}.png")
    out = cli("model", "add", "tiny-vit", "--from", str(vit), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["modality"] == "image"
    out = cli("dataset", "add", "shades", "--from", str(images), "--modality", "image", "--probe", "tiny-vit",
              "--probe-path", str(vit), "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["classes"] == 2
    out = cli("score", "-d", "shades", "--models", "tiny-vit", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["status"] == "written"


BAD = [
    (["dataset", "add", "x", "--from", "/nonexistent/data.csv", "--modality", "text"], "not found"),
    (["dataset", "add", "k1", "--from", "{csv}", "--modality", "text"], "already in the graph"),
    (["dataset", "add", "x", "--from", "{one_class}", "--modality", "text"], "class"),
    (["dataset", "add", "x", "--from", "{csv}", "--modality", "text", "--text-col", "body"], "body"),
    (["dataset", "add", "x", "--from", "{empty}", "--modality", "text"], "empty.csv"),
    (["dataset", "embed", "nope", "--from", "{csv}", "--modality", "text"], "unknown dataset"),
    (["score", "-d", "mine", "--models", "no/such-model"], "unknown model"),
    (["score", "-d", "mine", "--models", MINILM, "--metric", "nleep"], "--metric"),
    (["model", "add", "no/such-model"], "Hub"),
    (["model", "add", "x", "--from", "{csv}"], "config.json"),
]


@pytest.mark.parametrize(
    ("argv", "expected"), BAD, ids=[" ".join(a[:2]) + f" {i}" for i, (a, _) in enumerate(BAD)]
)
def test_bad_input_is_one_line_and_writes_nothing(
    driver: neo4j.Driver, added: Path, tmp_path: Path, argv: list[str], expected: str
) -> None:
    files = {
        "csv": reviews(tmp_path / "ok.csv"),
        "one_class": write_csv(tmp_path / "one.csv", ["text", "label"], [["a", "pos"], ["b", "pos"]]),
        "empty": write_csv(tmp_path / "empty.csv", ["text", "label"], []),
    }
    before = graph_size(driver)
    out = cli(*[a.format(**{k: str(v) for k, v in files.items()}) for a in argv])
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], out.stderr
    assert graph_size(driver) == before
