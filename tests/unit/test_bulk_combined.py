"""`tg ingest runs FILE.csv... --hf-models-file MODELS.jsonl... --bulk` without a server: the combined
columnar pass (transfergraph/ingest/bulk/combined.py) writes the same import files' content and the
same counts and summary as the Records path, which plans the runs' Records then the Hub records'
(`bulk.plan([runs parts..., hf parts...])`, `bulk.write_csv`), on runs and records that overlap
partly; an unusual file hands the whole call over to the Records path. The server import of both is
compared in tests/server/test_bulk.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from transfergraph.ingest import bulk
from transfergraph.ingest.bulk import columnar, columnar_hf, combined
from transfergraph.loaders import hf_models, runs, storable
from transfergraph.loaders.records import Records

from support import HOSTILE, cli, columnar_mode, synth_runs
from support import read_import_files as _read

MAPPING = runs.Mapping("model", "dataset", "accuracy", "run_id", hparams=("lr", "epochs"))
RUN_COLS = [
    "--modality", "image", "--model-col", "model", "--dataset-col", "dataset",
    "--accuracy-col", "accuracy", "--run-id-col", "run_id", "--hparam-col", "lr", "--hparam-col", "epochs",
]  # fmt: skip


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _zoo(tmp: Path) -> tuple[list[Path], list[Path]]:
    """Two run files (models shared) and two Hub record files: models in both, only in the runs
    (hostile ids, dropped records), only in the records; datasets named by both with another
    modality; records with no property; a dataset named first without a modality, then with one."""
    path = synth_runs(tmp, models=120, runs=1200, datasets=12, seed=5)
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    run_files = []
    for i, part in enumerate((rows[: len(rows) // 2], rows[len(rows) // 3 :])):  # overlapping models
        p = tmp / f"part{i}.csv"
        with open(p, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *[[*r[:3], f"{r[3]}#{i}", *r[4:]] for r in part]])
        run_files.append(p)
    run_datasets = sorted({r[1] for r in rows})
    lines = (tmp / "hf-models.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [ln for i, ln in enumerate(lines) if i % 7]  # a seventh of the runs' models: no record
    extra_a = [
        {"id": "hf-only/text", "pipeline_tag": "text-classification",
         "card_data": {"datasets": [run_datasets[0], "hf-only-ds"]}},  # a runs dataset, as text
        {"id": HOSTILE[1]},  # a runs model, no property: unchanged
        {"id": HOSTILE[3], "architectures": []},  # a runs model, one (empty) property: updated
        {"id": HOSTILE[4], "pipeline_tag": "text-classification", "downloads": 3,
         "tags": [f"dataset:{run_datasets[1]}", f"dataset:ds {HOSTILE[5]}"]},  # keeps image
        {"id": "hf-only/bare"},  # no property, no modality
        {"id": "hf-only/untagged", "tags": ["dataset:late-modality", f"dataset:{run_datasets[2]}"]},
    ]  # fmt: skip
    extra_b = [
        {"id": "hf-only/image", "pipeline_tag": "image-classification",
         "card_data": {"datasets": ["late-modality", run_datasets[0], "hf-only-ds"]}},
        {"id": f"hf-only/{HOSTILE[0]}", "pipeline_tag": "text-classification", "likes": 0},
        {"id": HOSTILE[6], "library_name": "timm"},  # runs models, one property each: updated
        {"id": HOSTILE[7], "safetensors": {"total": 5}},
    ]  # fmt: skip
    half = len(lines) // 2
    hf_files = [
        _write(tmp / "a.jsonl", lines[:half] + [json.dumps(r) + "\n" for r in extra_a]),
        _write(tmp / "b.jsonl", lines[half:] + [json.dumps(r) + "\n" for r in extra_b]),
    ]
    return run_files, hf_files


def _parts(run_files: list[Path], hf_files: list[Path]) -> list[Records]:
    """The Records path's parts, in the CLI's order: the runs, then the Hub records."""
    return [runs.load(f, MAPPING, "image") for f in run_files] + [
        storable.check(hf_models.load_file(f, None)) for f in hf_files
    ]


def _tallies(summary: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {e: (t.created, t.updated, t.unchanged, t.skipped) for e, t in summary.items()}


def test_combined_writes_what_the_records_path_writes(tmp_path: Path) -> None:
    run_files, hf_files = _zoo(tmp_path)
    parts = _parts(run_files, hf_files)
    run_models = set().union(*(p.models for p in parts[:2]))
    hf_ids = set().union(*(p.models for p in parts[2:]))
    assert run_models - hf_ids and hf_ids - run_models and run_models & hf_ids  # the three kinds
    prepared = combined.runs_and_hf_models(run_files, MAPPING, "image", hf_files, tmp_path / "columnar")
    assert prepared is not None, "the combined path handed clean files over"
    p = bulk.plan(parts)
    nodes, rels = _read(prepared.layout)
    assert (nodes, rels) == _read(bulk.write_csv(p, tmp_path / "records"))
    assert len({(label, id) for label, id, _ in nodes}) == len(nodes)  # each node once
    assert prepared.expected == p.counts()
    assert prepared.counts == {e: sum(part.counts()[e] for part in parts) for e in p.counts()}
    assert prepared.source == bulk.merge(parts).source
    assert _tallies(prepared.summary) == _tallies(p.summary)
    # what the overlap makes of the tallies (the Records path's, checked above)
    assert p.summary["models"].updated and p.summary["models"].unchanged
    assert p.summary["datasets"].updated and p.summary["datasets"].unchanged
    assert prepared.layout.multiline  # "multi\nline" ids, in both passes' files
    by_id = {id: dict(props) for _, id, props in nodes}
    assert by_id[HOSTILE[4]] == {"modality": "image", "pipeline_tag": "text-classification", "downloads": 3}
    assert by_id[HOSTILE[1]] == {"modality": "image"}
    assert by_id["hf-only/bare"] == {}
    assert by_id["hf-only-ds"] == {"modality": "text"}
    assert by_id["late-modality"] == {"modality": "image"}


def test_the_single_loaders_still_write_what_they_wrote(tmp_path: Path) -> None:
    """The passes `combined` shares: each alone, as `tg ingest runs` / `hf-models --file` load them."""
    run_files, hf_files = _zoo(tmp_path)
    alone = columnar.runs(run_files, MAPPING, "image", tmp_path / "runs")
    assert alone is not None
    p = bulk.plan(_parts(run_files, []))
    assert _read(alone.layout) == _read(bulk.write_csv(p, tmp_path / "records"))
    assert _tallies(alone.summary) == _tallies(p.summary)
    hf_alone = columnar_hf.hf_models(hf_files, None, tmp_path / "hf")
    assert hf_alone is not None
    p = bulk.plan([storable.check(hf_models.load_file(f, None)) for f in hf_files])
    assert _read(hf_alone.layout) == _read(bulk.write_csv(p, tmp_path / "hf-records"))
    assert _tallies(hf_alone.summary) == _tallies(p.summary)


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "m", "downloads": 1.5}\n',  # a float count: hf_models.py's rule
        "null\n",
        '{"id": "m"} {"id": "n"}\n',  # two objects on a line
        '{"id": "twice"}\n{"id": "twice"}\n',  # one model twice: plan.py merges
    ],
)
def test_an_unusual_file_hands_the_whole_call_over(tmp_path: Path, line: str) -> None:
    run_files, hf_files = _zoo(tmp_path)
    with open(hf_files[1], "a", encoding="utf-8") as f:
        f.write(line)
    assert combined.runs_and_hf_models(run_files, MAPPING, "image", hf_files, tmp_path / "out") is None
    run_bad = tmp_path / "bad.csv"
    run_bad.write_text("model,dataset,accuracy,run_id,lr,epochs\nm,d,1.5,r1,0.1,3\n", encoding="utf-8")
    assert combined.runs_and_hf_models([run_bad], MAPPING, "image", hf_files[:1], tmp_path / "o2") is None


def _fake_bulk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """`--bulk` without a server: the import files are prepared (or planned), not imported."""
    seen: dict[str, Any] = {}

    def load_prepared(_: Any, prepare: Any) -> Any:
        seen["prepared"] = prepared = prepare(tmp_path / "prepared")
        return prepared

    def load(_: Any, parts: list[Records], checked: bool = False) -> Any:
        seen["parts"] = parts
        return bulk.plan(parts).summary

    monkeypatch.setattr(bulk, "check_empty", lambda _: None)
    monkeypatch.setattr(bulk, "load_prepared", load_prepared)
    monkeypatch.setattr(bulk, "load", load)
    columnar_mode(monkeypatch, "always")
    return seen


def test_cli_one_import_or_the_records_path_for_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--hf-models-file: the combined columnar pass; an unusual record file: the Records path for
    every file, runs first; both print the summary of runs-then-hf-models."""
    run_files, hf_files = _zoo(tmp_path)
    seen = _fake_bulk(monkeypatch, tmp_path)
    args = [str(f) for f in run_files] + RUN_COLS + ["--bulk", "-f", "json"]
    hf_args = [a for f in hf_files for a in ("--hf-models-file", str(f))]
    proc = cli("ingest", "runs", *args, *hf_args)
    assert proc.returncode == 0, proc.stderr
    assert seen["prepared"] is not None and "parts" not in seen
    fast = json.loads(proc.stdout)
    want = bulk.plan(_parts(run_files, hf_files)).summary
    assert {r["entity"]: (r["created"], r["updated"], r["unchanged"]) for r in fast} == {
        e: (t.created, t.updated, t.unchanged) for e, t in want.items()
    }
    with open(hf_files[1], "a", encoding="utf-8") as f:
        f.write('{"id": "extra"}\n{"id": "extra", "likes": 2}\n')  # valid (merged), unusual here
    seen.clear()
    proc = cli("ingest", "runs", *args, *hf_args)
    assert proc.returncode == 0, proc.stderr
    assert seen["prepared"] is None
    assert [p.source for p in seen["parts"]] == ["runs:part0.csv", "runs:part1.csv", "hf-models", "hf-models"]
    slow = {r["entity"]: r for r in json.loads(proc.stdout)}
    assert slow["models"]["created"] == {r["entity"]: r for r in fast}["models"]["created"] + 1


def test_cli_lists_the_problems_of_every_file(tmp_path: Path) -> None:
    """Runs and Hub records are validated before anything is written (here: --dry-run)."""
    bad_runs = tmp_path / "runs.csv"
    bad_runs.write_text("model,dataset,accuracy,run_id,lr,epochs\nm,d,1.5,r1,0.1,3\n", encoding="utf-8")
    bad_hf = _write(tmp_path / "models.jsonl", ['{"id": "m", "downloads": -1}\n'])
    proc = cli("ingest", "runs", str(bad_runs), *RUN_COLS, "--hf-models-file", str(bad_hf), "--dry-run")
    assert proc.returncode == 2
    assert f"{bad_runs}:2:" in proc.stderr and f"{bad_hf}:1:" in proc.stderr
    assert "2 problem(s)" in proc.stderr


@pytest.mark.parametrize(("bad_runs", "bad_hf"), [(False, False), (True, False), (False, True), (True, True)])
def test_cli_dry_run_reads_each_kind_column_wise_or_row_by_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_runs: bool, bad_hf: bool
) -> None:
    """Without --bulk the run files and the record files are each read column-wise when they can be
    (columnar_mode "always"), else row by row, runs first: the same summary, or the same problems
    of every file, as reading all of them row by row."""
    run_files, hf_files = _zoo(tmp_path)
    if bad_runs:
        with open(run_files[1], "a", encoding="utf-8") as f:
            f.write("m,d,1.5,r-bad,0.1,3\n")
    if bad_hf:
        with open(hf_files[0], "a", encoding="utf-8") as f:
            f.write('{"id": "m", "downloads": -1}\n')
    taken: dict[str, Any] = {}
    for module, name in ((columnar, "records"), (columnar_hf, "records")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, real=real, m=module: taken.setdefault(m, real(*a)))
    args = [str(f) for f in run_files] + RUN_COLS + ["--dry-run", "-f", "json"]
    args += [a for f in hf_files for a in ("--hf-models-file", str(f))]
    out = {}
    for mode in ("always", "never"):
        columnar_mode(monkeypatch, mode)
        proc = cli("ingest", "runs", *args)
        out[mode] = (proc.returncode, proc.stdout, proc.stderr)
    assert (taken[columnar] is None, taken[columnar_hf] is None) == (bad_runs, bad_hf)
    assert out["always"] == out["never"]
    assert out["always"][0] == (2 if bad_runs or bad_hf else 0)
    assert out["always"][2].count("error: ") == (bad_runs + bad_hf + 1 if bad_runs or bad_hf else 0)
