"""`tg ingest --bulk` (neo4j-admin import) on a managed server of its own: hostile ids round-trip from
two files in one call (one import, one restart), counts match, it refuses a non-empty database, and
a failure after the server was stopped (with the server down, and with it running on the new store)
restores the previous database. Refusing an external server, the CSV files, the plan of several
files and the order of the steps of every restore need no server: tests/unit/test_ingest_input.py,
tests/unit/test_bulk_files.py, tests/unit/test_bulk_plan.py."""

from __future__ import annotations

import csv
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from neo4j import GraphDatabase

from transfergraph import server
from transfergraph.errors import TGError
from transfergraph.ingest import apply_schema, bulk

from support import HOSTILE, cli, columnar_mode, synth_runs

pytestmark = pytest.mark.server

RUN_COLS = [
    "--modality", "image", "--model-col", "model", "--dataset-col", "dataset",
    "--accuracy-col", "accuracy", "--run-id-col", "run_id", "--hparam-col", "lr", "--hparam-col", "epochs",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh managed server (own dir and ports): the bulk path stops and restarts it."""
    env = {
        "TG_SERVER_DIR": str(tmp_path_factory.mktemp("bulk") / "srv"),
        "TG_BOLT_PORT": str(_free_port()),
        "TG_HTTP_PORT": str(_free_port()),
        "TG_HEAP": "512m",
        "TG_PAGECACHE": "64m",
        "NEO4J_URI": "",
    }
    try:
        started = cli("db", "start", env=env)
        assert started.returncode == 0, started.stderr
        yield env
    finally:
        # in this process: the server (started, and restarted by --bulk, in this process) is our
        # child, and only we can reap it (a `tg db stop` subprocess would wait its 90 s for the zombie)
        cli("db", "stop", env=env)


def _driver(env: dict[str, str]) -> neo4j.Driver:
    password = (Path(env["TG_SERVER_DIR"]) / "password").read_text().strip()
    return GraphDatabase.driver(f"bolt://127.0.0.1:{env['TG_BOLT_PORT']}", auth=("neo4j", password))


def _expected(path: Path) -> dict[str, tuple[str, str, float, object, object]]:
    with open(path, newline="", encoding="utf-8") as f:
        return {
            r["run_id"]: (
                r["model"],
                r["dataset"],
                float(r["accuracy"]),
                float(r["lr"]) if r["lr"] != "auto" else "auto",
                float(r["epochs"]) if r["epochs"] else None,
            )
            for r in csv.DictReader(f)
        }


def _split(path: Path) -> list[Path]:
    """The file as two files with its header: the first half of the rows, and the rest."""
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    out = []
    for i, half in enumerate((rows[: len(rows) // 2], rows[len(rows) // 2 :])):
        part = path.with_name(f"part{i}.csv")
        with open(part, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *half])
        out.append(part)
    return out


def test_bulk_runs_round_trip_hostile_ids(
    own_server: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two files in one call: one neo4j-admin import, one start (the server stops once)."""
    path = synth_runs(tmp_path, models=150, runs=1500, datasets=15, seed=11, hostile=0.3, auto_lr=True)
    want = _expected(path)
    calls: list[str] = []

    def counted(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name if name != "admin" else f"admin {args[1]} {args[2]}")
            return real(*args, **kwargs)

        return call

    for name in ("start", "stop", "admin"):
        monkeypatch.setattr(server, name, counted(name, getattr(server, name)))
    files = [str(f) for f in _split(path)]
    proc = cli("ingest", "runs", *files, *RUN_COLS, "--bulk", "-f", "json", env=own_server)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["stop", "admin database import", "start"]
    assert not (Path(own_server["TG_SERVER_DIR"]) / "bulk-previous-store").exists()
    summary = {row["entity"]: row for row in json.loads(proc.stdout)}
    models = {m for m, *_ in want.values()}
    datasets = {d for _, d, *_ in want.values()}
    assert summary["runs"]["created"] == summary["runs"]["rows"] == len(want)
    assert summary["models"]["created"] == len(models)
    assert summary["datasets"]["created"] == len(datasets)
    with _driver(own_server) as drv:
        got_models, _, _ = drv.execute_query("MATCH (m:Model) RETURN m.id AS id, m.modality AS modality")
        got_datasets, _, _ = drv.execute_query("MATCH (d:Dataset) RETURN d.id AS id")
        got_runs, _, _ = drv.execute_query(
            "MATCH (m:Model)-[r:FINETUNED_ON]->(d:Dataset) "
            "RETURN r.run_id AS run_id, m.id AS model, d.id AS dataset, r.accuracy AS accuracy, "
            "r.lr AS lr, r.epochs AS epochs, r.peft AS peft, r.source AS source"
        )
        constraints, _, _ = drv.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")
    assert sorted(r["id"] for r in got_models) == sorted(models)
    assert {r["modality"] for r in got_models} == {"image"}
    assert sorted(r["id"] for r in got_datasets) == sorted(datasets)
    runs = {r["run_id"]: (r["model"], r["dataset"], r["accuracy"], r["lr"], r["epochs"]) for r in got_runs}
    assert runs == want  # ids verbatim, each run between its own endpoints, typed properties
    assert {(r["peft"], r["source"]) for r in got_runs} == {
        ("full", "runs:part0.csv"),
        ("full", "runs:part1.csv"),
    }
    assert all(h in models and f"ds {h}" in datasets and f"run {h}" in runs for h in HOSTILE)
    assert {"model_id_unique", "dataset_id_unique"} <= set(constraints[0]["names"])


def test_bulk_refuses_a_database_that_is_not_empty(own_server: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("model,dataset,accuracy,run_id,lr,epochs\norg/m,ds,0.5,r1,0.1,3\n")
    with _driver(own_server) as drv:
        before, _, _ = drv.execute_query("MATCH (n) RETURN count(n) AS n")
        if before[0]["n"] == 0:  # run alone: make it non-empty first
            assert cli("ingest", "runs", str(path), *RUN_COLS, env=own_server).returncode == 0
            before, _, _ = drv.execute_query("MATCH (n) RETURN count(n) AS n")
    proc = cli("ingest", "runs", str(path), *RUN_COLS, "--bulk", env=own_server)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not empty" in proc.stderr and "Traceback" not in proc.stderr
    with _driver(own_server) as drv:
        after, _, _ = drv.execute_query("MATCH (n) RETURN count(n) AS n")
    assert after[0]["n"] == before[0]["n"] > 0


def _previous_database(env: dict[str, str]) -> None:
    """Empty (so that --bulk accepts it) but recognisable: its constraints and a marker index, which
    a newly imported store would not have."""
    with _driver(env) as drv:
        drv.execute_query("MATCH (n) DETACH DELETE n")
        apply_schema(drv)  # its own constraints, whatever ran before (a test run alone has none)
        drv.execute_query("CREATE INDEX bulk_marker IF NOT EXISTS FOR (n:Marker) ON (n.x)")


def _schema_and_nodes(env: dict[str, str]) -> tuple[set[str], int]:
    with _driver(env) as drv:
        names, _, _ = drv.execute_query("SHOW INDEXES YIELD name RETURN collect(name) AS names")
        nodes, _, _ = drv.execute_query("MATCH (n) RETURN count(n) AS n")
    return set(names[0]["names"]), nodes[0]["n"]


def _pid(env: dict[str, str]) -> str:
    return (Path(env["TG_SERVER_DIR"]) / "run" / "tg-neo4j.pid").read_text()


@pytest.mark.parametrize("mode", ["never", "always"])
def test_bulk_refuses_before_stopping_the_server(
    own_server: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """An id Neo4j could not index, or a store an interrupted --bulk left aside: refused while the
    server still runs (same process), nothing changed. The columnar path hands the long id over to
    the Records path, which names it."""
    columnar_mode(monkeypatch, mode)
    _previous_database(own_server)
    pid = _pid(own_server)
    long_id = tmp_path / "long.csv"
    long_id.write_text(f"model,dataset,accuracy,run_id,lr,epochs\n{'m' * 9000},ds,0.5,r1,0.1,3\n")
    good = tmp_path / "good.csv"
    good.write_text("model,dataset,accuracy,run_id,lr,epochs\norg/m,ds,0.5,r1,0.1,3\n")
    proc = cli("ingest", "runs", str(good), str(long_id), *RUN_COLS, "--bulk", env=own_server)
    assert proc.returncode == 2 and "long.csv:2" in proc.stderr and "nothing was written" in proc.stderr
    leftover = Path(own_server["TG_SERVER_DIR"]) / "bulk-previous-store"
    leftover.mkdir()
    try:
        proc = cli("ingest", "runs", str(good), *RUN_COLS, "--bulk", env=own_server)
    finally:
        leftover.rmdir()
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "interrupted --bulk" in proc.stderr
    assert _pid(own_server) == pid
    names, nodes = _schema_and_nodes(own_server)
    assert nodes == 0 and "bulk_marker" in names


def _fail_after(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """The real `step` of the swap runs, then fails: import (neo4j-admin wrote the new store), schema
    (constraints created on the new store, the server running on it)."""
    name = {"import": "run_import", "schema": "apply_schema"}[step]
    real = getattr(bulk.importer, name)

    def failing(*args: Any) -> None:
        real(*args)
        raise TGError(f"{step} failed (injected by the test)")

    monkeypatch.setattr(bulk.importer, name, failing)


# The two states a restore starts from, each once: the server stopped with a new store on disk (a
# failed import; a failed start leaves the same), and the server running on the new store (a failed
# schema or count check). The first on the Records path, the second on the columnar one: both reach
# the same stop / import / restore code (`bulk._swap_in`), and each case costs one or two server
# restarts. The order of the steps for every failure, the failed start and a restore that fails
# too, with the server's functions replaced: tests/unit/test_bulk_plan.py
# (test_load_restores_the_previous_store_when_a_step_fails).
RESTORE_CASES = [("import", "never"), ("schema", "always")]


@pytest.mark.parametrize(("step", "mode"), RESTORE_CASES)
def test_bulk_failure_restores_the_previous_database(
    own_server: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, mode: str
) -> None:
    """A failure once the server was stopped: the previous database is back, with its constraints,
    and the error is one line saying so."""
    _previous_database(own_server)
    path = tmp_path / "one.csv"
    path.write_text("model,dataset,accuracy,run_id,lr,epochs\norg/m,ds,0.5,r1,0.1,3\n")
    columnar_mode(monkeypatch, mode)
    _fail_after(monkeypatch, step)
    proc = cli("ingest", "runs", str(path), *RUN_COLS, "--bulk", env=own_server)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{step} failed" in proc.stderr and "the previous database was restored" in proc.stderr
    names, nodes = _schema_and_nodes(own_server)
    assert nodes == 0
    assert {"bulk_marker", "model_id_unique", "dataset_id_unique", "finetuned_on_run_id_unique"} <= names
    assert not (Path(own_server["TG_SERVER_DIR"]) / "bulk-previous-store").exists()


def _graph(env: dict[str, str]) -> tuple[list[Any], list[Any]]:
    """Every node and relationship with its labels, type and properties, sorted; not the sources'
    ingest state (a transactional ingest remembers its files, a bulk import starts afresh)."""
    with _driver(env) as drv:
        nodes, _, _ = drv.execute_query(
            "MATCH (n) WHERE NOT n:SourceState RETURN labels(n) AS l, properties(n) AS p"
        )
        rels, _, _ = drv.execute_query(
            "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS p"
        )
    return (
        sorted((r["l"], sorted(r["p"].items())) for r in nodes),
        sorted((r["a"], r["t"], r["b"], sorted(r["p"].items())) for r in rels),
    )


def _record_taken(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Wrap a columnar pass (`module.name`): the list says, per call, whether it took the files."""
    taken: list[bool] = []
    real = getattr(module, name)

    def recorded(*args: Any) -> Any:
        prepared = real(*args)
        taken.append(prepared is not None)
        return prepared

    monkeypatch.setattr(module, name, recorded)
    return taken


def test_bulk_runs_and_hf_models_in_one_import(
    own_server: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tg ingest runs A.csv B.csv --hf-models-file ... --bulk` (the combined columnar pass, one
    stop, one import, one start): the graph and summed summary of the transactional `tg ingest runs`
    (read row by row) then `tg ingest hf-models --file`: runs from two files (a source each, models
    and datasets in both), hostile ids (quotes, newlines, braces, padding), models and datasets in
    the runs and the records or in one, a record without properties. The run files' import files are
    written by the functions `tg ingest runs --bulk` alone takes (`columnar.runs_relationships`,
    `runs_nodes`); the Records --bulk path is checked against the files themselves in
    test_bulk_runs_round_trip_hostile_ids, and both write the same import files without a server
    (tests/unit/test_bulk_columnar.py, test_bulk_combined.py)."""
    from transfergraph.ingest.bulk import combined

    path = synth_runs(tmp_path, models=150, runs=1500, datasets=15, seed=3)
    files = [str(f) for f in _split(path)]
    with open(path, newline="", encoding="utf-8") as f:
        runs_datasets = sorted({r["dataset"] for r in csv.DictReader(f)})
    hf = tmp_path / "hf-models.jsonl"
    lines = [ln for i, ln in enumerate(hf.read_text(encoding="utf-8").splitlines(keepends=True)) if i % 5]
    extra = [
        {"id": HOSTILE[0]},  # a runs model, no property
        {"id": HOSTILE[3], "pipeline_tag": "text-classification", "tags": [f"dataset:{runs_datasets[0]}"]},
        {"id": "hf-only", "card_data": {"datasets": ["hf-only-ds", runs_datasets[1]]}},
    ]
    hf.write_text("".join(lines) + "".join(json.dumps(r) + "\n" for r in extra), encoding="utf-8")
    taken = _record_taken(monkeypatch, combined, "runs_and_hf_models")
    _previous_database(own_server)
    totals: dict[str, dict[str, int]] = {}
    for command, args in (("runs", [*files, *RUN_COLS]), ("hf-models", ["--file", str(hf)])):
        proc = cli("ingest", command, *args, "-f", "json", env=own_server)
        assert proc.returncode == 0, proc.stderr
        for row in json.loads(proc.stdout):
            total = totals.setdefault(
                row["entity"], dict.fromkeys(("rows", "created", "updated", "unchanged"), 0)
            )
            for key in total:
                total[key] += row[key]
    graph = _graph(own_server)
    _previous_database(own_server)
    columnar_mode(monkeypatch, "always")
    proc = cli("ingest", "runs", *files, *RUN_COLS, "--hf-models-file", str(hf), "--bulk", "-f", "json",
               env=own_server)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert taken == [True]
    got = {row["entity"]: {k: row[k] for k in ("rows", "created", "updated", "unchanged")}
           for row in json.loads(proc.stdout)}  # fmt: skip
    assert got == totals
    assert totals["models"]["updated"] and totals["models"]["unchanged"]
    assert _graph(own_server) == graph
    finetuned = [dict(props) for _, kind, _, props in graph[1] if kind == "FINETUNED_ON"]
    assert len(finetuned) == 1500 + len(HOSTILE)
    assert {r["source"] for r in finetuned} == {"runs:part0.csv", "runs:part1.csv"}


def test_renamed_files_are_the_same_runs_on_both_paths(own_server: dict[str, str], tmp_path: Path) -> None:
    """Without --run-id-col a run is its content and its occurrence in the file: the same rows under
    two file names are the same three runs (a repeated row is two), with the first file's source,
    through the transactional path and through --bulk alike (docs/design.md, "Ingestion": run identity)."""
    rows = "model,dataset,accuracy,lr\norg/m1,d1,0.5,0.1\norg/m1,d1,0.5,0.1\norg/m2,d1,0.75,0.01\n"
    files = [tmp_path / "export.csv", tmp_path / "export-renamed.csv"]
    for f in files:
        f.write_text(rows, encoding="utf-8")
    cols = ["--modality", "image", "--model-col", "model", "--dataset-col", "dataset", "--accuracy-col",
            "accuracy", "--hparam-col", "lr"]  # fmt: skip
    graphs, summaries = [], []
    for flags in ([], ["--bulk"]):
        _previous_database(own_server)
        proc = cli("ingest", "runs", *map(str, files), *cols, *flags, "-f", "json", env=own_server)
        assert proc.returncode == 0, proc.stderr
        summaries.append({r["entity"]: r for r in json.loads(proc.stdout)}["runs"])
        graphs.append(_graph(own_server))
    assert graphs[0] == graphs[1]
    runs = graphs[0][1]
    assert len(runs) == 3 and {dict(p)["source"] for *_, p in runs} == {"runs:export.csv"}
    for summary in summaries:
        assert (summary["rows"], summary["created"], summary["updated"], summary["unchanged"]) == (6, 3, 0, 3)
