"""What identifies a run when the file gives no id: its content (model, dataset, accuracy, PEFT
method, timestamp, hyper-parameters) and its occurrence among identical rows of the file, never the
file's name; and the --bulk plan keeps a run's first `source`, as cypher/ingest/runs.cypher does."""

from __future__ import annotations

import json
from pathlib import Path

from transfergraph.ingest import bulk
from transfergraph.loaders import runs

MAPPING = runs.Mapping("model", "dataset", "acc", hparams=("lr",))
ROWS = [("m1", "d", 0.5, 0.1), ("m1", "d", 0.5, 0.1), ("m2", "d", 0.75, 0.01)]  # a genuine repeat


def csv_file(path: Path, rows: list[tuple[str, str, float, float]]) -> Path:
    path.write_text("model,dataset,acc,lr\n" + "".join(f"{m},{d},{a},{lr}\n" for m, d, a, lr in rows))
    return path


def ids(path: Path) -> list[str]:
    return [r["run_id"] for r in runs.load(path, MAPPING, "image").runs]


def test_a_renamed_file_gives_the_same_run_ids(tmp_path: Path) -> None:
    first = ids(csv_file(tmp_path / "export.csv", ROWS))
    assert ids(csv_file(tmp_path / "export-renamed.csv", ROWS)) == first
    jsonl = tmp_path / "other.jsonl"  # the same content in another format
    jsonl.write_text(
        "".join(json.dumps({"model": m, "dataset": d, "acc": a, "lr": lr}) + "\n" for m, d, a, lr in ROWS)
    )
    assert ids(jsonl) == first


def test_identical_rows_of_one_file_are_distinct_runs_numbered_by_occurrence(tmp_path: Path) -> None:
    both = ids(csv_file(tmp_path / "a.csv", ROWS))
    assert len(set(both)) == 3  # the repeated row is two runs
    once = ids(csv_file(tmp_path / "b.csv", ROWS[:1]))
    assert once == both[:1]  # a file holding it once names the first of them
    changed = ids(csv_file(tmp_path / "c.csv", [("m1", "d", 0.5, 0.2)]))
    assert changed[0] not in both  # another hyper-parameter: another run


def test_the_bulk_plan_keeps_a_runs_first_source(tmp_path: Path) -> None:
    a = runs.load(csv_file(tmp_path / "a.csv", ROWS), MAPPING, "image")
    b = runs.load(csv_file(tmp_path / "b.csv", ROWS), MAPPING, "image")
    p = bulk.plan([a, b])
    assert {r.props["source"] for r in p.rels["runs"]} == {"runs:a.csv"}
    assert (p.summary["runs"].created, p.summary["runs"].updated, p.summary["runs"].unchanged) == (3, 0, 3)
