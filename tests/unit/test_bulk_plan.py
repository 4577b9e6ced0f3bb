"""`--bulk` without a server: the plan of several files (counted as the transactional path, which
writes them in order, counts them), reading several files, the store kept aside, and the order of
steps when one fails (with the server's functions replaced; the real restores are
tests/server/test_bulk.py)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from transfergraph import config, server
from transfergraph.errors import InvalidInput, TGError
from transfergraph.ingest import bulk
from transfergraph.ingest.jobs import load_all
from transfergraph.loaders import runs
from transfergraph.loaders.records import Records

from support import cli, write_csv

COLS = ["--modality", "image", "--model-col", "model", "--dataset-col", "dataset", "--accuracy-col", "acc"]


def _two_parts() -> list[Records]:
    a, b = Records(source="runs:a.csv"), Records(source="runs:b.csv")
    a.model("m", "image", n=1)
    a.model("k", None)
    a.dataset("d", "image")
    a.runs.append({"run_id": "r1", "model": "m", "dataset": "d", "props": {"accuracy": 0.5}})
    a.skipped[("runs", "empty accuracy")] += 2
    a.notes.append("note a")
    b.model("m", "text", n=1)  # same properties (the first modality stays): unchanged
    b.model("k", "text")  # modality filled in: updated
    b.dataset("d", None, size=3)  # a new property: updated
    b.dataset("e", None)
    b.runs.append({"run_id": "r1", "model": "m", "dataset": "d", "props": {"accuracy": 0.7}})  # updated
    b.runs.append({"run_id": "r2", "model": "k", "dataset": "e", "props": {"accuracy": 0.1}})
    b.skipped[("runs", "empty accuracy")] += 1
    b.notes.append("note b")
    return [a, b]


def test_plan_of_several_files_counts_as_upserts_in_order() -> None:
    p = bulk.plan(_two_parts())
    tallies = {e: (t.created, t.updated, t.unchanged, t.skipped) for e, t in p.summary.items()}
    assert tallies["models"] == (2, 1, 1, 0)
    assert tallies["datasets"] == (2, 1, 0, 0)
    assert tallies["runs"] == (2, 1, 0, 3) and p.summary["runs"].reasons == ["3 empty accuracy"]
    assert p.nodes["models"] == [("m", {"n": 1, "modality": "image"}), ("k", {"modality": "text"})]
    assert p.nodes["datasets"] == [("d", {"modality": "image", "size": 3}), ("e", {"modality": None})]
    assert [(r.key, r.props) for r in p.rels["runs"]] == [
        ("r1", {"accuracy": 0.7}),
        ("r2", {"accuracy": 0.1}),
    ]
    assert p.counts()["runs"] == 2 and p.counts()["models"] == 2


def test_plan_of_one_file_is_unchanged() -> None:
    one = _two_parts()[0]
    assert bulk.plan(one) == bulk.plan([one])
    assert bulk.merge([one]) is one


def test_merge_keeps_order_sources_notes_and_skips() -> None:
    merged = bulk.merge(_two_parts())
    assert merged.source == "runs:a.csv, runs:b.csv"
    assert merged.notes == ["note a", "note b"]
    assert merged.skipped[("runs", "empty accuracy")] == 3
    assert [r["props"]["accuracy"] for r in merged.runs] == [0.5, 0.7, 0.1]
    assert merged.models["k"]["modality"] == "text" and merged.models["m"]["modality"] == "image"


def test_load_all_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", ["model", "dataset", "acc"], [["m", "d", "x"]])
    good = write_csv(tmp_path / "good.csv", ["model", "dataset", "acc"], [["m", "d", 0.5]])
    long_id = write_csv(tmp_path / "long.csv", ["model", "dataset", "acc"], [["m" * 9000, "d", 0.5]])
    mapping = runs.Mapping("model", "dataset", "acc")
    with pytest.raises(InvalidInput) as e:
        load_all([partial(runs.load, p, mapping, "image") for p in (bad, good, long_id)])
    files = [Path(problem.file).name for problem in e.value.problems]
    assert files == ["bad.csv", "long.csv"]  # the loader's problem and the storable one, in order
    parts = load_all([lambda: runs.load(good, mapping, "image")])
    assert [part.source for part in parts] == ["runs:good.csv"]


def test_cli_dry_run_of_two_files_sums_rows(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", ["model", "dataset", "acc"], [["m", "d", 0.5], ["k", "d", 0.6]])
    b = write_csv(tmp_path / "b.csv", ["model", "dataset", "acc"], [["m", "e", 0.7]])
    proc = cli("ingest", "runs", str(a), str(b), *COLS, "--dry-run", "-f", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split(",")[0]: line.split(",")[1] for line in proc.stdout.splitlines()[1:]}
    assert (rows["models"], rows["datasets"], rows["runs"]) == ("3", "2", "3")  # rows of both files


def _store(settings: Any, text: str) -> None:
    for d in ("databases", "transactions"):
        folder = server.Paths.of(settings).data / d / "neo4j"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "store").write_text(text)


def _read_store(settings: Any) -> list[str]:
    data = server.Paths.of(settings).data
    return [(data / d / "neo4j" / "store").read_text() for d in ("databases", "transactions")]


def test_previous_store_moves_aside_and_back(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = config.load()
    _store(settings, "previous")
    kept = bulk.PreviousStore(settings)
    kept.refuse_leftover()
    kept.move_aside()
    with pytest.raises(TGError, match="interrupted --bulk left the previous store"):
        bulk.PreviousStore(settings).refuse_leftover()
    _store(settings, "half imported")
    kept.put_back()
    assert _read_store(settings) == ["previous", "previous"] and not kept.root.exists()
    # a move that fails half-way: what was not moved is not touched by put_back
    real = Path.rename
    moves: list[Path] = []

    def second_fails(self: Path, target: Any) -> Path:
        moves.append(self)
        if len(moves) == 2:
            raise OSError("injected")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", second_fails)
    kept = bulk.PreviousStore(settings)
    with pytest.raises(OSError):
        kept.move_aside()
    monkeypatch.setattr(Path, "rename", real)
    kept.put_back()
    assert _read_store(settings) == ["previous", "previous"]


@pytest.mark.parametrize("step", ["import", "start", "schema", "counts", "restore"])
def test_load_restores_the_previous_store_when_a_step_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, step: str
) -> None:
    """The order of steps, with the server's functions replaced (one of them failing at `step`: the
    import after writing the new store, the start of the new store, the schema once applied): stop
    once, import, then either the complete new store or stop, previous store back, start, and a
    one-line TGError."""
    settings = config.load()
    _store(settings, "previous")
    calls: list[str] = []
    running = [True]

    def stop(*_: Any, **__: Any) -> bool:
        calls.append("stop")
        running[0] = False
        return True

    def start(*_: Any, **__: Any) -> bool:
        calls.append(f"start {_read_store(settings)[0]}")
        if (step == "restore" and len(calls) > 3) or (step == "start" and len(calls) == 3):  # the new store
            raise TGError("Neo4j exited with code 1 while starting")
        running[0] = True
        return True

    def run_import(*_: Any) -> float:
        calls.append("import")
        _store(settings, "new")
        if step in ("import", "restore"):
            raise TGError("neo4j-admin import failed: disk full")
        return 1.0

    def apply_schema(_: Any) -> None:
        calls.append("schema")
        if step == "schema":
            raise TGError("Cypher error: constraint creation failed")

    class Driver:
        def __enter__(self) -> Driver:
            return self

        def __exit__(self, *_: Any) -> None:
            pass

        def close(self) -> None:
            pass

    counts = {"datasets": 1, "models": 1, "pretrained_on": 0, "similarities": 0, "runs": 1, "scores": 0}
    if step == "counts":
        counts["runs"] = 0

    def run(_: Any, name: str, **__: Any) -> list[dict[str, Any]]:
        calls.append(name.removeprefix("ingest/bulk/"))
        return [counts] if name.endswith("counts") else [{}]

    monkeypatch.setattr(bulk.importer, "check_empty", lambda _: None)
    monkeypatch.setattr(server, "stop", stop)
    monkeypatch.setattr(server, "start", start)
    monkeypatch.setattr(bulk.importer, "run_import", run_import)
    monkeypatch.setattr(bulk.importer, "_ready", lambda _: Driver())
    monkeypatch.setattr(bulk.importer, "apply_schema", apply_schema)
    monkeypatch.setattr(bulk.importer.db, "run", run)
    rec = Records(source="t")
    rec.model("m", "image")
    rec.dataset("d", None)
    rec.runs.append({"run_id": "r", "model": "m", "dataset": "d", "props": {"accuracy": 0.5}})
    with pytest.raises(TGError) as e:
        bulk.load(settings, rec, say=lambda _: None)
    message = str(e.value)
    assert "\n" not in message
    root = settings.server_dir / "bulk-previous-store"
    assert _read_store(settings) == ["previous", "previous"] and not root.exists()
    if step == "restore":  # the restore's start failed too: the store is back, the server is down
        assert (
            "disk full" in message
            and "previous database was put back, but the server did not start" in message
        )
        assert calls == ["stop", "import", "stop", "start previous"] and not running[0]
        return
    assert message.endswith("the previous database was restored, nothing was loaded")
    new = {
        "import": ["import"],
        "start": ["import", "start new"],
        "schema": ["import", "start new", "schema"],
        "counts": ["import", "start new", "schema", "await_indexes", "counts"],
    }[step]
    assert calls == ["stop", *new, "stop", "start previous"]
    assert running[0]


def test_distinct_keys_decide_whether_batches_may_commit_in_any_order() -> None:
    """A table naming one MERGE key twice is written in order (the later row wins), others by
    several writers: run ids are keys on their own, scores per (model, dataset, metric)."""
    from transfergraph.ingest.writer import _distinct

    runs_ = [{"run_id": "r1", "model": "a", "dataset": "d"}, {"run_id": "r2", "model": "a", "dataset": "d"}]
    assert _distinct("runs", runs_)
    assert not _distinct("runs", [*runs_, {"run_id": "r1", "model": "b", "dataset": "e"}])
    scores = [{"model": "a", "dataset": "d", "metric": m} for m in ("LogME", "Reg-H-Score")]
    assert _distinct("scores", scores)
    assert not _distinct("scores", [*scores, dict(scores[0])])
    assert not _distinct("pretrained_on", [{"model": "a", "dataset": "d"}] * 2)
    assert _distinct("models", [{"id": "a"}, {"id": "a"}])  # node rows are one per id already
