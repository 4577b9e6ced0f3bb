"""`tg ingest` on bad input, a dry run and the download path: all decided before any connection.

The autouse `no_database` fixture (conftest) fails a test that tries to reach Neo4j, so "nothing was
written" holds for every refusal here by construction. tests/server/test_ingest.py keeps one
end-to-end check of the same refusal against the real server.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from transfergraph.errors import InvalidInput
from transfergraph.loaders import hf_models, runs

from support import RUN_COLS, ZOO, cli, one_line, write_csv

GOOD = [["org/m1", "cifar100", 0.91], ["org/m2", "cifar100", 0.5]]
HEAD = ["model", "dataset", "acc"]


def malformed(tmp: Path, case: str) -> tuple[Path, str]:
    """The file of one malformed case and a fragment the error lines must contain."""
    if case == "missing column":
        path = write_csv(tmp / "nocol.csv", ["model", "dataset"], [["m", "d"]])
        return path, f"{path}:1: column 'acc': required column is missing"
    if case == "non-numeric":
        path = write_csv(tmp / "text.csv", HEAD, [*GOOD, ["m3", "d", "high"]])
        return path, f"{path}:4: column 'acc': expected a number, got 'high'"
    if case == "out of range":
        path = write_csv(tmp / "range.csv", HEAD, [["m3", "d", "91.5"], *GOOD])
        return path, f"{path}:2: column 'acc': expected an accuracy in 0..1"
    if case == "empty":
        path = tmp / "empty.csv"
        path.write_bytes(b"")
        return path, f"{path}: file is empty"
    if case == "undecodable":
        path = tmp / "bytes.csv"
        path.write_bytes(b"model,dataset,acc\norg/m1,cifar100,0.9\norg/m\xff2,cifar100,0.8\n")
        return path, f"{path}:3: column 'model': not UTF-8: byte 0xff"
    if case == "duplicate header":
        path = write_csv(tmp / "dup.csv", [*HEAD, "model"], [["m", "d", 0.5, "x"]])
        return path, f"{path}:1: column 'model': duplicate column name"
    if case == "empty id":
        path = write_csv(tmp / "noid.csv", HEAD, [*GOOD, ["", "cifar100", 0.3]])
        return path, f"{path}:4: column 'model': empty model id"
    raise AssertionError(case)


CASES = [
    "missing column", "non-numeric", "out of range", "empty", "undecodable", "duplicate header", "empty id",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_malformed_file_is_rejected_with_file_row_column(tmp_path: Path, case: str) -> None:
    path, fragment = malformed(tmp_path, case)
    proc = cli("ingest", "runs", str(path), "--modality", "image", *RUN_COLS)
    assert proc.returncode == 2, (case, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].endswith("nothing was written") or len(lines) == 1, (case, lines)
    assert any(fragment in line for line in lines), (case, fragment, lines)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_unknown_modality_is_a_usage_error_naming_the_choices(tmp_path: Path) -> None:
    """--modality is a choice: Typer refuses an unknown one (exit 2) and lists the allowed values."""
    path = write_csv(tmp_path / "good.csv", HEAD, GOOD)
    for args in (["ingest", "runs", str(path), *RUN_COLS], ["ingest", "hf-models", "--file", str(path)]):
        proc = cli(*args, "--modality", "audio")
        assert proc.returncode == 2, proc.stderr
        message = one_line(proc.stderr)
        assert "--modality" in message and "'audio'" in message, message
        assert "'image'" in message and "'text'" in message, message
        assert "Traceback" not in proc.stderr


def test_loaders_refuse_an_unknown_modality_for_library_callers(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "good.csv", HEAD, GOOD)
    mapping = runs.Mapping("model", "dataset", "acc")
    with pytest.raises(InvalidInput, match=r"unknown modality 'audio' \(expected image or text\)"):
        runs.load(csv_path, mapping, "audio")
    jsonl = tmp_path / "models.jsonl"
    jsonl.write_text(json.dumps({"id": "org/m"}) + "\n")
    with pytest.raises(InvalidInput, match=r"unknown modality 'audio' \(expected image or text\)"):
        hf_models.load_file(jsonl, "audio")
    assert len(runs.load(csv_path, mapping, "image").runs) == 2  # the same file, a known modality


def test_hf_models_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "models.jsonl"
    good = {"id": "google/vit-base-patch16-224", "pipeline_tag": "image-classification"}
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"id": "x", "downloads": -3}) + "\n")
    proc = cli("ingest", "hf-models", "--file", str(path))
    assert proc.returncode == 2
    assert f"{path}:2: not JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_hf_models_blank_architectures_are_skipped(tmp_path: Path) -> None:
    """Blank names are skipped and no name left is no value, on every path (the bulk importer can
    store neither `[]` nor `[""]`); a list given at either level is taken, the config's first."""
    records = [
        {"id": "a", "config": {"architectures": []}, "architectures": []},
        {"id": "b", "config": {"architectures": []}, "architectures": ["Top"]},
        {"id": "c", "config": {"architectures": ["Cfg"]}, "architectures": ["Top"]},
        {"id": "d", "architectures": ["A", "", " \u2028"]},
        {"id": "e", "architectures": [""]},
        {"id": "f", "config": {"architectures": [" "]}, "architectures": ["Top"]},
    ]
    path = tmp_path / "models.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    models = hf_models.load_file(path, "image").models
    got = [models[m]["props"].get("architectures") for m in "abcdef"]
    assert got == [None, ["Top"], ["Cfg"], ["A"], None, None]


def summary(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    return {row["entity"]: row for row in json.loads(proc.stdout)}


def test_dry_run_validates_and_connects_to_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "runs.csv", HEAD, GOOD)
    proc = cli("ingest", "runs", str(path), "--modality", "image", *RUN_COLS, "-f", "json", "--dry-run")
    got = summary(proc)
    assert (got["runs"]["rows"], got["models"]["rows"], got["datasets"]["rows"]) == (2, 2, 1)


def test_paper_zoo_download_is_cached_and_works_offline(tmp_path: Path) -> None:
    """The real download code, pointed at a file:// mirror; then offline from the cache alone."""
    if not (ZOO / "image_classification" / "records.csv").exists():
        pytest.fail(f"the paper zoo is not at {ZOO}: set TG_ZOO_PATH")
    env = {"TG_CACHE_DIR": str(tmp_path / "cache"), "TG_ZOO_PATH": ""}
    online = cli("ingest", "paper-zoo", "--url", ZOO.as_uri(), "--dry-run", "-f", "json", env=env)
    offline = cli(
        "ingest", "paper-zoo", "--url", (tmp_path / "nowhere").as_uri(), "--dry-run", "-f", "json", env=env
    )
    local = cli("ingest", "paper-zoo", "--path", str(ZOO), "--dry-run", "-f", "json")
    assert summary(online) == summary(offline) == summary(local)
    missing = cli("ingest", "paper-zoo", "--url", (tmp_path / "nowhere").as_uri(), "--dry-run",
                  env={"TG_CACHE_DIR": str(tmp_path / "empty-cache"), "TG_ZOO_PATH": ""})  # fmt: skip
    assert missing.returncode == 2 and "download failed" in missing.stderr and "--path" in missing.stderr


def test_bulk_refuses_an_external_server(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("model,dataset,accuracy,run_id,lr,epochs\norg/m,ds,0.5,r1,0.1,3\n")
    cols = ["--modality", "image", "--model-col", "model", "--dataset-col", "dataset", "--accuracy-col",
            "accuracy", "--run-id-col", "run_id", "--hparam-col", "lr", "--hparam-col", "epochs"]  # fmt: skip
    env = {"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"}
    proc = cli("ingest", "runs", str(path), *cols, "--bulk", env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "NEO4J_URI" in proc.stderr
