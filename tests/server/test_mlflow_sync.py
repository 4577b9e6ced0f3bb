"""`tg ingest mlflow` on a real MLflow store (SQLite, made with MLflow's own API), incremental
re-runs, and `tg sync` on a job of three sources: exact counts, a second run writes nothing, only
the datasets whose runs changed are re-predicted, a failing source is named and writes nothing, and
a second sync is refused while the lock is held."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import mlflow  # the [mlflow] extra, which `make test` installs: a missing one fails here
import neo4j
import pytest

from transfergraph.sync import lock

from support import cli, graph_dump, write_csv

pytestmark = pytest.mark.server

MODELS = [f"org/m{i}" for i in range(6)]
DATASETS = ["d0", "d1", "d2", "d3", "d4"]


class Store:
    """A local MLflow tracking store and the runs logged into it."""

    def __init__(self, folder: Path) -> None:
        self.uri = f"sqlite:///{folder / 'mlflow.db'}"
        self.client = mlflow.MlflowClient(tracking_uri=self.uri)

    def experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        return str(found.experiment_id if found else self.client.create_experiment(name))

    def log(
        self, experiment: str, params: dict[str, str], metrics: dict[str, float], status: str = "FINISHED"
    ) -> str:
        r = self.client.create_run(self.experiment(experiment))
        for key, value in params.items():
            self.client.log_param(r.info.run_id, key, value)
        for key, value in metrics.items():
            self.client.log_metric(r.info.run_id, key, value)
        self.client.set_terminated(r.info.run_id, status=status)
        return str(r.info.run_id)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(tmp_path_factory.mktemp("mlflow"))
    for i in range(12):  # 12 complete runs: 4 models x 3 datasets
        s.log(
            "ft", {"model": MODELS[i % 4], "dataset": DATASETS[i // 4], "lr": "0.001"}, {"acc": 0.5 + i / 40}
        )
    s.log("ft", {"model": MODELS[0]}, {"acc": 0.7})  # no dataset param: skipped
    s.log("ft", {"model": MODELS[1]}, {"acc": 0.7})
    s.log("ft", {"model": MODELS[2], "dataset": "d0"}, {})  # no metric: skipped
    s.log("ft", {"model": MODELS[3], "dataset": "d1"}, {"acc": 0.2}, status="FAILED")  # not read
    s.log("other", {"model": MODELS[5], "dataset": "d4"}, {"acc": 0.9})  # an experiment not named
    return s


def ingest(store: Store, *extra: str) -> Any:
    args = ["ingest", "mlflow", "--tracking-uri", store.uri, "-e", "ft", "--model-param", "model",
            "--dataset-param", "dataset", "--metric", "acc", "--hparam", "lr",
            "--modality", "image"]  # fmt: skip
    return cli(*args, *extra, "-f", "json")


def runs_row(proc: Any) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    return next(r for r in json.loads(proc.stdout) if r["entity"] == "runs")


def count_runs(drv: neo4j.Driver) -> int:
    return int(drv.execute_query("MATCH ()-[r:FINETUNED_ON]->() RETURN count(r) AS n").records[0]["n"])


def test_mlflow_counts_rerun_and_five_new(module_wiped: neo4j.Driver, store: Store, tmp_path: Path) -> None:
    report = tmp_path / "skipped.tsv"
    first = runs_row(ingest(store, "--report", str(report)))
    assert (first["rows"], first["created"], first["updated"], first["skipped"]) == (12, 12, 0, 3)
    assert count_runs(module_wiped) == 12
    lines = report.read_text().splitlines()
    assert len(lines) == 4 and sorted(line.split("\t")[2] for line in lines[1:]) == [
        "no metric 'acc'", "no param 'dataset'", "no param 'dataset'"
    ]  # fmt: skip
    run_props = module_wiped.execute_query(
        "MATCH (:Model {id: $m})-[r:FINETUNED_ON]->(:Dataset {id: 'd0'}) RETURN properties(r) AS p",
        m=MODELS[0],
    ).records[0]["p"]
    assert run_props["accuracy"] == 0.5 and run_props["lr"] == 0.001 and run_props["source"] == "mlflow:ft"

    before = graph_dump(module_wiped)
    again = ingest(store)
    assert again.returncode == 0 and json.loads(again.stdout)[0]["status"] == "unchanged", again.stdout
    assert graph_dump(module_wiped) == before  # a second run writes nothing

    new = [store.log("ft", {"model": MODELS[4], "dataset": d}, {"acc": 0.66}) for d in DATASETS]
    third = runs_row(ingest(store))
    assert (third["rows"], third["created"], third["updated"], third["unchanged"]) == (5, 5, 0, 0)
    assert count_runs(module_wiped) == 17
    query = "MATCH ()-[r:FINETUNED_ON]->() WHERE r.run_id IN $ids RETURN r.run_id AS id"
    ids = {r["id"] for r in module_wiped.execute_query(query, ids=new).records}
    assert ids == set(new)  # MLflow's run id is the run id

    store.client.log_metric(new[0], "acc", 0.77)  # a run changed after it ended: seen by --full
    full = runs_row(ingest(store, "--full"))
    assert (full["created"], full["updated"], full["unchanged"]) == (0, 1, 16)
    with_failed = runs_row(ingest(store, "--status", "FINISHED", "--status", "FAILED"))
    assert (with_failed["created"], with_failed["unchanged"]) == (1, 17)  # other options: read whole


def test_mlflow_bad_input_is_one_line_and_writes_nothing(module_wiped: neo4j.Driver, store: Store) -> None:
    before = graph_dump(module_wiped)
    unknown = cli("ingest", "mlflow", "--tracking-uri", store.uri, "-e", "nope", "--model-param", "model",
                  "--dataset-param", "dataset", "--metric", "acc", "--modality", "image")  # fmt: skip
    # one line per problem, then the count: `tg ingest`'s way (cli/ingest.py)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 2
    assert "unknown experiment 'nope'" in unknown.stderr.splitlines()[0], unknown.stderr
    bad = store.log("percent", {"model": MODELS[0], "dataset": "d0"}, {"acc": 93.1})
    store.log("percent", {"model": MODELS[1], "dataset": "d0"}, {"acc": 0.9})
    proc = cli("ingest", "mlflow", "--tracking-uri", store.uri, "-e", "percent", "--model-param", "model",
               "--dataset-param", "dataset", "--metric", "acc", "--modality", "image")  # fmt: skip
    assert proc.returncode == 2 and proc.stderr.count("\n") == 2, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert f"experiment 'percent' run {bad}" in first and "'metrics.acc'" in first
    assert "93.1" in proc.stderr and "nothing was written" in proc.stderr
    start = time.monotonic()
    down = cli("ingest", "mlflow", "--tracking-uri", "http://127.0.0.1:9", "-e", "ft", "--model-param", "m",
              "--dataset-param", "d", "--metric", "a", "--modality", "image")  # fmt: skip
    assert down.returncode != 0 and time.monotonic() - start < 5, down.stderr
    assert down.stderr.strip().count("\n") == 0 and "unreachable" in down.stderr
    assert graph_dump(module_wiped) == before


def write_job(folder: Path, store: Store, full_above: int = 50) -> Path:
    job = folder / "job.toml"
    job.write_text(
        f"""
[refresh]
full_above = {full_above}

[sources.team]
kind = "runs"
files = ["team.csv"]
modality = "image"
model_col = "model"
dataset_col = "dataset"
accuracy_col = "acc"

[sources.lab]
kind = "runs"
files = ["lab.csv"]
modality = "image"
model_col = "model"
dataset_col = "dataset"
accuracy_col = "acc"

[sources.tracker]
kind = "mlflow"
tracking_uri = "{store.uri}"
experiments = ["ft"]
model_param = "model"
dataset_param = "dataset"
metric = "acc"
modality = "image"
""",
        encoding="utf-8",
    )
    return job


def synced(job: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = cli("sync", str(job), "-f", "json", *extra)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}, proc.stderr


def predicted_at(drv: neo4j.Driver) -> dict[str, Any]:
    rows = drv.execute_query(
        "MATCH ()-[p:PREDICTED]->(d:Dataset) RETURN d.id AS d, max(p.created_at) AS at"
    ).records
    return {r["d"]: r["at"] for r in rows}


def test_sync_refreshes_exactly_the_changed_datasets(
    module_wiped: neo4j.Driver, store: Store, tmp_path: Path
) -> None:
    team = [[m, d, 0.4 + 0.05 * i + 0.02 * j] for i, m in enumerate(MODELS) for j, d in enumerate(DATASETS)]
    write_csv(tmp_path / "team.csv", ["model", "dataset", "acc"], team)
    write_csv(tmp_path / "lab.csv", ["model", "dataset", "acc"], [["org/m9", "d3", 0.5]])
    job = write_job(tmp_path, store)
    code, first, err = synced(job)
    assert code == 0, err
    assert first["refresh"]["mode"] == "all" and first["refresh"]["view_rebuilt"]  # no view yet
    statuses = {s["source"]: (s["status"], s["runs_created"]) for s in first["sources"]}
    assert statuses == {"team": ("written", 30), "lab": ("written", 1), "tracker": ("written", 0)}
    before = graph_dump(module_wiped)
    code, second, err = synced(job)
    assert code == 0 and [s["status"] for s in second["sources"]] == ["unchanged"] * 3, err
    assert second["refresh"]["mode"] == "none" and graph_dump(module_wiped) == before

    at = predicted_at(module_wiped)
    write_csv(tmp_path / "team.csv", ["model", "dataset", "acc"], [*team, ["org/m5", "d1", 0.91]])
    store.log("ft", {"model": "org/new", "dataset": "d2"}, {"acc": 0.93})
    store.log("ft", {"model": "org/new", "dataset": "d2"}, {"acc": 0.94})
    write_csv(tmp_path / "lab.csv", ["model", "dataset", "acc"], [["org/m9", "d3", 1.5]])  # bad accuracy
    code, third, err = synced(job)
    assert code == 2 and "source 'lab' (runs) failed" in err and "lab.csv:2: column 'acc'" in err, err
    assert third["datasets_changed"] == ["d1", "d2"]
    assert third["refresh"]["mode"] == "datasets" and third["refresh"]["predicted"] == ["d1", "d2"]
    created = {s["source"]: s.get("runs_created") for s in third["sources"]}
    assert created == {"team": 1, "tracker": 2, "lab": None}
    after = predicted_at(module_wiped)
    assert {d for d in after if after[d] != at.get(d)} == {"d1", "d2"}  # only theirs re-predicted
    assert (
        module_wiped.execute_query(
            "MATCH (:Model {id: 'org/m9'})-[r:FINETUNED_ON]->() RETURN r.accuracy AS a"
        ).records[0]["a"]
        == 0.5
    )
    rec = cli("recommend", "--dataset", "d2", "-f", "json", "--list-tried")
    assert rec.returncode == 0, rec.stderr
    assert "org/new" in {m["model"] for m in json.loads(rec.stdout)["measured"]}  # the new runs are tried


def without_lock(dump: str) -> str:
    """The dump less the lock node (each attempt to take it stamps `claimed`: lock_acquire.cypher)."""
    return "\n".join(line for line in dump.splitlines() if '"SyncLock"' not in line)


def test_a_second_sync_waits_or_refuses(module_wiped: neo4j.Driver, store: Store, tmp_path: Path) -> None:
    write_csv(tmp_path / "team.csv", ["model", "dataset", "acc"], [["org/m1", "d1", 0.5]])
    write_csv(tmp_path / "lab.csv", ["model", "dataset", "acc"], [["org/m1", "d2", 0.5]])
    job = write_job(tmp_path, store)
    other = "elsewhere:1:token"  # a sync on another machine
    lock.acquire(module_wiped, other, lease=60)
    try:
        before = without_lock(graph_dump(module_wiped))
        start = time.monotonic()
        proc = cli("sync", str(job), "--wait", "1")
        assert proc.returncode == 3 and proc.stderr.count("\n") == 1, proc.stderr
        assert (
            "another tg sync holds this graph's lock after waiting 1 s (owner elsewhere:1:token"
            in proc.stderr
        )
        assert 1 <= time.monotonic() - start < 10 and without_lock(graph_dump(module_wiped)) == before
    finally:
        lock.release(module_wiped, other)
    code, _, err = synced(job)
    assert code == 0, err
    assert not module_wiped.execute_query("MATCH (l:SyncLock) RETURN l").records  # released
