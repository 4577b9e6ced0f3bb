"""`tg ingest runs` / `hf-models` / `paper-zoo` against the real server: validation, idempotency,
hostile ids, bare nodes, a kill -9 mid-ingest, the download path."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import neo4j
import pytest

from support import HOSTILE, tg

pytestmark = pytest.mark.server

RUN_COLS = ["--model-col", "model", "--dataset-col", "dataset", "--accuracy-col", "acc"]


@pytest.fixture
def empty(driver: neo4j.Driver) -> neo4j.Driver:
    driver.execute_query("MATCH (n) DETACH DELETE n")
    return driver


def snapshot(drv: neo4j.Driver) -> dict[str, Any]:
    """Everything in the graph, as comparable data: nodes with properties, relationships with ends."""
    nodes, _, _ = drv.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props ORDER BY n.id, labels(n)[0]"
    )
    rels, _, _ = drv.execute_query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS props, b.id AS b "
        "ORDER BY a, t, b, r.run_id, r.metric, r.probe_model"
    )
    return {"nodes": [r.data() for r in nodes], "rels": [r.data() for r in rels]}


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def summary(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    return {row["entity"]: row for row in json.loads(proc.stdout)}


def ingest_runs(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return tg("ingest", "runs", str(path), "--modality", "image", *RUN_COLS, "-f", "json", *extra)


GOOD = [["org/m1", "cifar100", 0.91], ["org/m2", "cifar100", 0.5]]


def malformed_cases(tmp: Path) -> list[tuple[str, Path, list[str], str]]:
    """(case, file, extra args, a fragment the error line must contain)."""
    head = ["model", "dataset", "acc"]
    (tmp / "empty.csv").write_bytes(b"")
    (tmp / "bytes.csv").write_bytes(b"model,dataset,acc\norg/m1,cifar100,0.9\norg/m\xff2,cifar100,0.8\n")
    files = {
        "nocol": write_csv(tmp / "nocol.csv", ["model", "dataset"], [["m", "d"]]),
        "text": write_csv(tmp / "text.csv", head, [*GOOD, ["m3", "d", "high"]]),
        "range": write_csv(tmp / "range.csv", head, [["m3", "d", "91.5"], *GOOD]),
        "dup": write_csv(tmp / "dup.csv", [*head, "model"], [["m", "d", 0.5, "x"]]),
        "good": write_csv(tmp / "good.csv", head, GOOD),
        "noid": write_csv(tmp / "noid.csv", head, [*GOOD, ["", "cifar100", 0.3]]),
    }
    return [
        (
            "missing column",
            files["nocol"],
            [],
            f"{files['nocol']}:1: column 'acc': required column is missing",
        ),
        ("non-numeric", files["text"], [], f"{files['text']}:4: column 'acc': expected a number, got 'high'"),
        (
            "out of range",
            files["range"],
            [],
            f"{files['range']}:2: column 'acc': expected an accuracy in 0..1",
        ),
        ("empty", tmp / "empty.csv", [], f"{tmp / 'empty.csv'}: file is empty"),
        (
            "undecodable",
            tmp / "bytes.csv",
            [],
            f"{tmp / 'bytes.csv'}:3: column 'model': not UTF-8: byte 0xff",
        ),
        ("duplicate header", files["dup"], [], f"{files['dup']}:1: column 'model': duplicate column name"),
        ("unknown modality", files["good"], ["--modality", "audio"], "unknown modality 'audio'"),
        ("empty id", files["noid"], [], f"{files['noid']}:4: column 'model': empty model id"),
    ]


def test_every_malformed_file_is_rejected_with_file_row_column_and_writes_nothing(
    empty: neo4j.Driver, tmp_path: Path
) -> None:
    seed = write_csv(tmp_path / "seed.csv", ["model", "dataset", "acc"], [["org/seed", "dtd", 0.7]])
    assert ingest_runs(seed).returncode == 0
    before = snapshot(empty)
    for case, path, extra, fragment in malformed_cases(tmp_path):
        proc = tg("ingest", "runs", str(path), "--modality", "image", *RUN_COLS, *extra)
        assert proc.returncode != 0, case
        lines = proc.stderr.strip().splitlines()
        assert lines[-1].endswith("nothing was written") or len(lines) == 1, (case, lines)
        assert any(fragment in line for line in lines), (case, fragment, lines)
        assert "Traceback" not in proc.stderr
        assert snapshot(empty) == before, case


def test_runs_reingest_changes_nothing_and_bare_nodes_are_reported(
    empty: neo4j.Driver, tmp_path: Path
) -> None:
    rows = [["org/a", "cifar100", 0.9, 3e-4], ["org/a", "cifar100", 0.9, 3e-4], ["org/b", "dtd", 0.25, 1e-3]]
    path = write_csv(tmp_path / "runs.csv", ["model", "dataset", "acc", "lr"], rows)
    first = summary(ingest_runs(path, "--hparam-col", "lr"))
    # two identical rows are two runs; unknown models and datasets became bare nodes
    assert (first["runs"]["created"], first["models"]["created"], first["datasets"]["created"]) == (3, 2, 2)
    state = snapshot(empty)
    second = summary(ingest_runs(path, "--hparam-col", "lr"))
    assert all(row["created"] == 0 and row["updated"] == 0 for row in second.values())
    assert second["runs"]["unchanged"] == 3
    assert snapshot(empty) == state
    lrs = sorted(r["props"]["lr"] for r in state["rels"])
    assert lrs == [3e-4, 3e-4, 1e-3]


def test_dry_run_writes_nothing(empty: neo4j.Driver, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "runs.csv", ["model", "dataset", "acc"], GOOD)
    proc = ingest_runs(path, "--dry-run")
    assert proc.returncode == 0 and summary(proc)["runs"]["rows"] == 2
    assert snapshot(empty) == {"nodes": [], "rels": []}


def test_hostile_ids_round_trip_verbatim(empty: neo4j.Driver, tmp_path: Path) -> None:
    rows = [[h, f"ds {h}", 0.5] for h in HOSTILE]
    csv_path = write_csv(tmp_path / "hostile.csv", ["model", "dataset", "acc"], rows)
    jsonl = tmp_path / "hostile.jsonl"
    jsonl.write_text(
        "".join(json.dumps({"model": h + "-j", "dataset": "d", "acc": 0.1}) + "\n" for h in HOSTILE)
    )
    assert ingest_runs(csv_path).returncode == 0
    assert ingest_runs(jsonl).returncode == 0
    records, _, _ = empty.execute_query("MATCH (m:Model) RETURN m.id AS id")
    assert sorted(r["id"] for r in records) == sorted(HOSTILE + [h + "-j" for h in HOSTILE])
    for h in HOSTILE:
        found, _, _ = empty.execute_query(
            "MATCH (:Model {id: $id})-[:FINETUNED_ON]->(d:Dataset) RETURN d.id AS d", id=h
        )
        assert [r["d"] for r in found] == [f"ds {h}"]


def test_parquet_runs_with_run_ids_and_peft(empty: neo4j.Driver, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "runs.parquet"
    table = {
        "m": ["x/1", "x/1"],
        "d": ["sst2", "sst2"],
        "a": [0.8, 0.7],
        "id": ["r1", "r2"],
        "p": [None, "LoRA"],
    }
    pq.write_table(pa.table(table), path)
    proc = tg("ingest", "runs", str(path), "--modality", "text", "--model-col", "m", "--dataset-col", "d",
              "--accuracy-col", "a", "--run-id-col", "id", "--peft-col", "p", "-f", "json")  # fmt: skip
    assert summary(proc)["runs"]["created"] == 2
    records, _, _ = empty.execute_query(
        "MATCH ()-[r:FINETUNED_ON]->() RETURN r.run_id AS id, r.peft AS p ORDER BY id"
    )
    assert [(r["id"], r["p"]) for r in records] == [("r1", "full"), ("r2", "lora")]


VIT = {
    "id": "google/vit-base-patch16-224",
    "pipeline_tag": "image-classification",
    "library_name": "transformers",
    "downloads": 1234,
    "likes": 56,
    "tags": ["vision", "dataset:imagenet-1k"],
    "config": {"architectures": ["ViTForImageClassification"], "model_type": "vit"},
    "safetensors": {"total": 86567656},
    "card_data": {"datasets": ["imagenet-21k"]},
}
DISTILBERT = {  # the older export spelling: modelId, cardData, datasets as a string
    "modelId": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "pipeline_tag": "text-classification",
    "downloads": 10,
    "likes": 0,
    "config": {"model_type": "distilbert"},
    "cardData": {"datasets": "sst2"},
}
HF_RECORDS = [VIT, DISTILBERT]


def test_hf_models_offline_file(empty: neo4j.Driver, tmp_path: Path) -> None:
    path = tmp_path / "models.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in HF_RECORDS))
    result = summary(tg("ingest", "hf-models", "--file", str(path), "-f", "json"))
    assert (result["models"]["created"], result["pretrained_on"]["created"]) == (2, 3)
    vit, _, _ = empty.execute_query(
        "MATCH (m:Model {id: $id}) OPTIONAL MATCH (m)-[:PRETRAINED_ON]->(d) "
        "RETURN m {.*} AS m, collect(d.id) AS ds",
        id="google/vit-base-patch16-224",
    )
    m = vit[0]["m"]
    assert (m["modality"], m["num_parameters"], m["downloads"], m["model_type"]) == (
        "image",
        86567656,
        1234,
        "vit",
    )
    assert m["architectures"] == ["ViTForImageClassification"]
    assert sorted(vit[0]["ds"]) == ["imagenet-1k", "imagenet-21k"]
    again = summary(tg("ingest", "hf-models", "--file", str(path), "-f", "json"))
    assert all(row["created"] == 0 and row["updated"] == 0 for row in again.values())


def test_hf_models_bad_line_is_named(empty: neo4j.Driver, tmp_path: Path) -> None:
    path = tmp_path / "models.jsonl"
    path.write_text(
        json.dumps(HF_RECORDS[0]) + "\n{not json\n" + json.dumps({"id": "x", "downloads": -3}) + "\n"
    )
    proc = tg("ingest", "hf-models", "--file", str(path))
    assert proc.returncode == 2
    assert f"{path}:2: not JSON" in proc.stderr
    assert snapshot(empty) == {"nodes": [], "rels": []}


def test_paper_zoo_download_is_cached_and_works_offline(zoo: Path, tmp_path: Path) -> None:
    """The real download code, pointed at a file:// mirror; then offline from the cache alone."""
    env = {"TG_CACHE_DIR": str(tmp_path / "cache"), "TG_ZOO_PATH": ""}
    online = tg("ingest", "paper-zoo", "--url", zoo.as_uri(), "--dry-run", "-f", "json", env=env)
    offline = tg(
        "ingest", "paper-zoo", "--url", (tmp_path / "nowhere").as_uri(), "--dry-run", "-f", "json", env=env
    )
    local = tg("ingest", "paper-zoo", "--path", str(zoo), "--dry-run", "-f", "json")
    assert summary(online) == summary(offline) == summary(local)
    missing = tg("ingest", "paper-zoo", "--url", (tmp_path / "nowhere").as_uri(), "--dry-run",
                 env={"TG_CACHE_DIR": str(tmp_path / "empty-cache"), "TG_ZOO_PATH": ""})  # fmt: skip
    assert missing.returncode == 2 and "download failed" in missing.stderr and "--path" in missing.stderr


def test_kill_9_mid_ingest_then_rerun_converges(empty: neo4j.Driver, tmp_path: Path) -> None:
    n = 40_000
    rows = [
        [f"org/model-{i % 997}", f"ds-{i % 13}", round((i % 1000) / 1000, 3), f"run-{i}"] for i in range(n)
    ]
    path = write_csv(tmp_path / "big.csv", ["model", "dataset", "acc", "run"], rows)
    args = [
        "ingest",
        "runs",
        str(path),
        "--modality",
        "image",
        *RUN_COLS,
        "--run-id-col",
        "run",
        "--batch-size",
        "500",
    ]
    proc = subprocess.Popen([sys.executable, "-m", "transfergraph", *args], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    written = 0
    while time.monotonic() < deadline and proc.poll() is None:
        records, _, _ = empty.execute_query("MATCH ()-[r:FINETUNED_ON]->() RETURN count(r) AS n")
        written = records[0]["n"]
        if written >= 2_000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < written < n, f"the kill must land mid-ingest (saw {written} runs)"
    rerun = summary(tg(*args, "-f", "json"))
    assert rerun["runs"]["created"] + rerun["runs"]["unchanged"] == n and rerun["runs"]["unchanged"] > 0
    crashed = snapshot(empty)
    empty.execute_query("MATCH (n) DETACH DELETE n")
    assert summary(tg(*args, "-f", "json"))["runs"]["created"] == n
    assert snapshot(empty) == crashed
