"""A new dataset placed among the zoo's without the zoo's data, on real servers, offline:
`--from hf:` on a dataset laid out as on the Hub, fingerprints exported on one server and ingested
on a second (same vectors, same distances, idempotent, bad files refused whole), a new dataset there
getting similarity evidence in `tg recommend`, and `tg dataset embed --zoo` resuming after an
interruption."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pytest

from transfergraph import config, db
from transfergraph.db import run
from transfergraph.userdata import data, encode, zoo

from support import SecondServer, cli, hub_layout, tg, write_csv

pytestmark = pytest.mark.server

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
KNOWN = ["k1", "k2", "k3"]
MODELS = [f"zoo/t{i}" for i in range(6)]
WORDS = {
    "k1": (["a wonderful film", "I loved it", "brilliant"], ["a boring mess", "I hated it", "dull"]),
    "k2": (["great phone, fast", "battery lasts"], ["screen broke", "slow and buggy"]),
    "k3": (["the soup was tasty", "lovely staff"], ["cold food", "rude waiter"]),
}


def texts(name: str, n: int = 24) -> tuple[list[str], list[int]]:
    pos, neg = WORDS[name]
    return [f"{(pos if i % 2 else neg)[i % 2]} #{i}" for i in range(n)], [i % 2 for i in range(n)]


def text_zoo(driver: neo4j.Driver) -> None:
    """Three zoo datasets with fine-tuning runs of six models, no data and no embeddings."""
    rng = np.random.default_rng(7)
    driver.execute_query("MATCH (n) DETACH DELETE n")
    run(driver, "ingest/datasets", rows=[{"id": d, "modality": "text", "props": {}} for d in KNOWN])
    run(driver, "ingest/models", rows=[{"id": m, "modality": "text", "props": {}} for m in MODELS])
    runs = [
        {"run_id": f"{m}|{d}", "model": m, "dataset": d,
         "props": {"accuracy": float(rng.uniform(0.5, 0.95)), "peft": "full"}}
        for m in MODELS for d in KNOWN
    ]  # fmt: skip
    run(driver, "ingest/runs", rows=runs)


def snapshot(driver: neo4j.Driver) -> tuple[Any, ...]:
    nodes = driver.execute_query("MATCH (d:Dataset) RETURN d.id AS id, properties(d) AS p ORDER BY id")[0]
    rels = driver.execute_query(
        "MATCH (a)-[r:SIMILAR_TO]->(b) RETURN a.id AS a, b.id AS b, r.probe_model AS probe, "
        "r.distance AS distance ORDER BY a, b, probe"
    )[0]
    return [(r["id"], r["p"]) for r in nodes], [dict(r) for r in rels]


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def second(second_server: SecondServer) -> dict[str, str]:
    """The session's second managed server (tests/conftest.py): the machine the fingerprints are
    shared with (each test writes its own graph there)."""
    return second_server.env


@pytest.fixture(scope="module")
def driver2(second: dict[str, str]) -> Iterator[neo4j.Driver]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in second.items():
            mp.setenv(k, v)
        settings = config.load()
    with db.connect(settings) as drv:
        yield drv


@pytest.fixture(scope="module")
def shared(driver: neo4j.Driver, tmp_path_factory: pytest.TempPathFactory, offline: None) -> Path:
    """Server 1: the zoo's three datasets embedded from their data (CSV files), exported."""
    folder = tmp_path_factory.mktemp("fp")
    text_zoo(driver)
    for name in KNOWN:
        rows = [[t, "pos" if y else "neg"] for t, y in zip(*texts(name), strict=True)]
        table = write_csv(folder / f"{name}.csv", ["text", "label"], rows)
        out = cli("dataset", "embed", name, "--from", str(table), "--modality", "text", "--format", "json")
        assert out.returncode == 0, out.stderr
    out = cli(
        "dataset", "export-fingerprints", str(folder / "zoo.jsonl"), "--probe", MINILM, "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["datasets"] == 3
    return folder / "zoo.jsonl"


def test_a_hub_layout_dataset_is_added_by_hf_reference_offline(driver: neo4j.Driver, tmp_path: Path) -> None:
    """`hf:owner/reviews` read from a copy in the hub cache (a dataset card and two parquet shards),
    with HF_HUB_OFFLINE and HF_DATASETS_OFFLINE set, in a real `tg` process; a dataset that is not
    cached is one line saying how to give a folder, and writes nothing."""
    text_zoo(driver)
    snap = tmp_path / "hf" / "hub" / "datasets--owner--reviews" / "snapshots" / "0123abcd"
    items, labels = texts("k1", 30)
    hub_layout(snap, {"train": {"sentence": items, "label": labels}}, class_names=["neg", "pos"])
    (snap.parents[1] / "refs").mkdir()
    (snap.parents[1] / "refs" / "main").write_text("0123abcd")
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    argv = ["dataset", "add", "reviews", "--from", "hf:owner/reviews", "--modality", "text", "--sample", "20"]
    out = tg(*argv, "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sampled"] == 20 and json.loads(out.stdout)["classes"] == 2
    props = driver.execute_query("MATCH (d:Dataset {id: 'reviews'}) RETURN properties(d) AS p")[0][0]["p"]
    assert props["data_source"] == "hf:owner/reviews" and props["data_text_col"] == "sentence"
    assert props["probe_revision"].startswith("sha256:") and props["data_items"] == 30
    expected = encode.probe_embedding(MINILM, data.read(f"hf:{snap}", "text", sample=20))
    assert np.allclose(props["probe_embedding"], expected, atol=1e-5)

    before = snapshot(driver)
    missing = tg("dataset", "add", "other", "--from", "hf:owner/not-cached", "--modality", "text", env=env)
    lines = missing.stderr.strip().splitlines()
    assert missing.returncode == 2 and len(lines) == 1 and "--from DIR" in lines[0], missing.stderr
    assert snapshot(driver) == before


def test_fingerprints_round_trip_between_two_servers(
    driver: neo4j.Driver, driver2: neo4j.Driver, second: dict[str, str], shared: Path, tmp_path: Path
) -> None:
    records = [json.loads(line) for line in shared.read_text().splitlines()]
    assert [r["id"] for r in records] == KNOWN
    assert {r["format"] for r in records} == {"transfergraph-fingerprint"} and {
        r["version"] for r in records
    } == {1}
    assert all(
        r["probe"] == MINILM and r["sample"] == 24 and r["seed"] == 0 and r["created_at"] for r in records
    )
    assert all(
        r["source"].endswith(f"{r['id']}.csv") and r["probe_revision"].startswith("sha256:") for r in records
    )

    text_zoo(driver2)  # the same zoo, none of its data
    out = cli("ingest", "fingerprints", str(shared), "--format", "json", env=second)
    assert out.returncode == 0, out.stderr
    tallies = {r["entity"]: r for r in json.loads(out.stdout)}
    assert tallies["datasets"]["updated"] == 3 and tallies["similarities"]["created"] == 3
    one, two = snapshot(driver), snapshot(driver2)
    assert two[1] == one[1]  # the same SIMILAR_TO distances, to the last bit
    for (id1, p1), (id2, p2) in zip(one[0], two[0], strict=True):
        assert id1 == id2 and p1["probe_embedding"] == p2["probe_embedding"]

    again = cli("ingest", "fingerprints", str(shared), "--format", "json", env=second)
    assert all(r["created"] == 0 and r["updated"] == 0 for r in json.loads(again.stdout))
    assert snapshot(driver2) == two
    back = tmp_path / "back.jsonl"
    assert cli("dataset", "export-fingerprints", str(back), env=second).returncode == 0
    assert back.read_text() == shared.read_text()


def test_a_new_dataset_placed_by_imported_fingerprints_gets_evidence(
    driver2: neo4j.Driver, second: dict[str, str], shared: Path, tmp_path: Path, offline: None
) -> None:
    text_zoo(driver2)
    assert cli("ingest", "fingerprints", str(shared), env=second).returncode == 0
    items, labels = texts("k2", 20)
    rows = [[f"{t} indeed", "pos" if y else "neg"] for t, y in zip(items, labels, strict=True)]
    mine = write_csv(tmp_path / "mine.csv", ["text", "label"], rows)
    out = cli(
        "dataset", "add", "mine", "--from", str(mine), "--modality", "text", "--format", "json", env=second
    )
    assert out.returncode == 0, out.stderr
    placed = json.loads(out.stdout)
    assert placed["similar_to"] == 3 and placed["nearest"].startswith("k2 ")
    assert cli("graph", "build", env=second).returncode == 0
    assert cli("predict", "--method", "model-prior", env=second).returncode == 0
    shown = cli("recommend", "-d", "mine", "--format", "json", env=second)
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)["rows"]
    assert len(rows) == len(MODELS)
    evidence = [e for r in rows for e in r["evidence"]]
    assert evidence and {e["dataset"] for e in evidence} <= set(KNOWN)


# (the field as written in the bad line, what the error says, the file: "first" = the bad line then
# the others, "alone" = the bad line only, "after" = the others are in the graph first, then added)
BAD_LINES = [
    ('"vector": [0.1, NaN]', "column 'vector': item 1: non-finite number nan", "first"),
    ('"version": 2', "column 'version': version 2: written by a newer transfergraph", "first"),
    ('"seed": 1' + "0" * 5000, "not JSON we can read", "first"),
    ('"modality": "image"', "column 'modality': dataset 'k1' is text in the graph", "alone"),
    ('"vector": [0.5, 0.25]', "column 'vector': 2 values, but probe", "after"),
]


@pytest.mark.parametrize(
    ("field", "expected", "layout"), BAD_LINES, ids=[e.split(":")[0] for _, e, _ in BAD_LINES]
)
def test_a_bad_fingerprint_file_is_refused_whole(
    driver2: neo4j.Driver, second: dict[str, str], shared: Path, tmp_path: Path, field: str, expected: str,
    layout: str,
) -> None:  # fmt: skip
    """One line per problem naming the file, line and field; nothing written, even for the good lines."""
    text_zoo(driver2)
    lines = shared.read_text().splitlines()
    keep = dict(json.loads(lines[0]))
    keep.pop(field.split(":")[0].strip('"'), None)
    bad = json.dumps(keep)[:-1] + ", " + field + "}"
    if layout == "after":  # the probe's space is in the graph: a vector's size must agree with it
        placed = cli("ingest", "fingerprints", str(_write(tmp_path / "two.jsonl", lines[1:])), env=second)
        assert placed.returncode == 0, placed.stderr
    path = _write(
        tmp_path / "bad.jsonl", {"first": [bad, *lines[1:]], "alone": [bad], "after": [bad]}[layout]
    )
    before = snapshot(driver2)
    out = cli("ingest", "fingerprints", str(path), env=second)
    assert out.returncode == 2, out.stdout
    errors = out.stderr.strip().splitlines()
    assert errors[0].startswith(f"error: {path}:1: ") and expected in errors[0], out.stderr
    assert errors[-1] == "error: 1 problem(s); nothing was written"
    assert snapshot(driver2) == before


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_interrupted_zoo_job_resumes_where_it_stopped(
    driver: neo4j.Driver, tmp_path: Path, offline: None
) -> None:
    """k1 and k2 have Hub copies (Hub-layout folders), k3's is missing: the first run is interrupted
    after k1; the re-run skips k1, embeds k2, reports k3 in one line and writes the fingerprints of
    k1 and k2; a third run embeds nothing."""
    text_zoo(driver)
    rows = ["dataset,modality,hub,label_col,text_col,note"]
    for name in ("k1", "k2"):
        items, labels = texts(name)
        hub_layout(tmp_path / name, {"train": {"text": items, "label": labels}}, class_names=["neg", "pos"])
        rows.append(f"{name},text,hf:{tmp_path / name},,,")
    rows += [f"k3,text,hf:{tmp_path / 'gone'},,,", "not-in-graph,text,hf:x/y,,,"]
    mapping = _write(tmp_path / "hub_ids.csv", ["# a test mapping", *rows])
    out = tmp_path / "zoo.jsonl"

    def stop_after_the_first(row: zoo.ZooRow) -> None:
        if row.status == "embedded":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        zoo.embed_zoo(driver, out, modality="text", sample=20, mapping=mapping, on_done=stop_after_the_first)
    embedded = driver.execute_query(
        "MATCH (d:Dataset) WHERE d.probe_embedding IS NOT NULL RETURN d.id AS id"
    )[0]
    assert [r["id"] for r in embedded] == ["k1"] and not out.exists()
    k1 = snapshot(driver)[0][0]

    args = ["dataset", "embed", "--zoo", "--modality", "text", "--sample", "20", "--hub-ids", str(mapping),
            "--out", str(out), "--format", "json"]  # fmt: skip
    resumed = cli(*args)
    assert resumed.returncode == 1, resumed.stderr  # one dataset could not be read
    summary = json.loads(resumed.stdout)
    assert (summary["embedded"], summary["already_embedded"], summary["failed"]) == (1, 1, 1)
    assert summary["exported"] == 2 and summary["without_hub_id"] == 0
    assert resumed.stderr.count("\n") == 1 and resumed.stderr.startswith(
        f"skipped k3 (hf:{tmp_path / 'gone'}): "
    )
    assert snapshot(driver)[0][0] == k1  # not embedded again
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["k1", "k2"]
    third = json.loads(cli(*args).stdout)
    assert (third["embedded"], third["already_embedded"]) == (0, 2)


def test_published_matrix_first_computed_only_view_and_their_agreement(
    driver: neo4j.Driver, tmp_path: Path
) -> None:
    """The computed probe covers more pairs (6) than the published one (3): a view still takes the
    published distances first and the computed ones for the other pairs; a computed-only view takes
    the computed ones for all; the agreement is Spearman's rho over the 3 pairs both cover."""
    from scipy.stats import spearmanr

    from transfergraph import graph
    from transfergraph.evaluation.similarity import agreement

    text_zoo(driver)
    run(driver, "ingest/datasets", rows=[{"id": "k4", "modality": "text", "props": {}}])
    published = {("k1", "k2"): 0.5, ("k1", "k3"): 0.9, ("k2", "k3"): 0.7}
    run(driver, "ingest/similarities", rows=[
        {"a": a, "b": b, "probe": "paper_probe", "props": {"distance": d}} for (a, b), d in published.items()
    ])  # fmt: skip
    vectors = {"k1": [0.0, 0.0], "k2": [1.0, 0.0], "k3": [0.0, 3.0], "k4": [5.0, 5.0]}
    head = {"format": "transfergraph-fingerprint", "version": 1, "modality": "text", "probe": MINILM}
    lines = [json.dumps(head | {"id": d, "vector": v, "sample": 10, "seed": 0}) for d, v in vectors.items()]
    assert cli("ingest", "fingerprints", str(_write(tmp_path / "fp.jsonl", lines))).returncode == 0

    def edges(view: str) -> dict[tuple[str, str], str]:
        rows = driver.execute_query(
            "MATCH (a)-[e:SIMILARITY_EDGE {view: $v}]->(b) RETURN a.id AS a, b.id AS b, e.probe_model AS p",
            v=view,
        )[0]
        return {(r["a"], r["b"]): r["p"] for r in rows}

    graph.build(driver, None, "all", graph.BuildSettings())
    both = edges("all")
    assert both[("k1", "k2")] == both[("k2", "k3")] == "paper_probe"
    # k1-k3, the published farthest pair, is left to the computed probe, as are the pairs of k4
    assert both[("k1", "k3")] == MINILM and {p for k, p in both.items() if "k4" in k} == {MINILM}
    graph.build(driver, None, "computed", graph.BuildSettings(computed_similarity=True))
    assert set(edges("computed").values()) == {MINILM} and len(edges("computed")) == 5

    [found] = agreement(driver, "text")
    computed = {k: math.dist(vectors[k[0]], vectors[k[1]]) for k in published}
    expected = spearmanr(list(published.values()), [computed[k] for k in published]).statistic
    assert (found.published_probe, found.computed_probe, found.pairs) == ("paper_probe", MINILM, 3)
    assert found.spearman == pytest.approx(expected)
    graph.drop(driver, "computed")

    # tg evaluate --similarity computed: held-out views from the computed probe only, with the agreement
    from transfergraph import TransferGraph

    with TransferGraph() as tg:
        result = tg.evaluate("text", targets=["k1"], methods=["lr+none"], seeds=1, similarity="computed",
                             record=False).json()  # fmt: skip
    assert result["similarity"] == "computed" and result["similarity_agreement"][0]["pairs"] == 3
    assert set(edges("without:k1|computed").values()) == {MINILM}
    assert {r["method"] for r in result["rows"]} >= {"model-prior", "similarity-history", "lr+none"}
