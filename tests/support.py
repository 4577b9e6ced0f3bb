"""Helpers shared by the tests (conftest holds the fixtures)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from transfergraph.cli import run

REPO = Path(__file__).resolve().parents[1]
ZOO = Path(os.environ.get("TG_ZOO_PATH") or REPO.parent / "shared" / "data" / "transfergraph-zoo")


def tg(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `tg` command line in a subprocess, as a user would (about 1 s of imports: use it
    where the process itself matters, `cli()` elsewhere)."""
    return subprocess.run(
        [sys.executable, "-m", "transfergraph", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=stdin,
        timeout=900,
    )


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `tg` command line in this process, exactly as the entry point does
    (`transfergraph.cli.run`: errors become one line on stderr and an exit code), with stdin, stdout,
    stderr and the environment overrides isolated by Typer's CliRunner."""
    with CliRunner().isolation(input=stdin, env=env) as (out, err, _):
        code = run(list(args), prog_name="tg")
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return subprocess.CompletedProcess(["tg", *args], code, stdout, stderr)


def columnar_mode(monkeypatch: Any, mode: str) -> None:
    """`tg ingest` in this process reads run and Hub-record files column-wise whatever their size
    (mode "always") or never ("never"): the size threshold moved to either end."""
    from transfergraph.ingest.bulk import columnar

    monkeypatch.setattr(columnar, "MIN_BYTES", {"always": 0, "never": sys.maxsize}[mode])


def one_line(text: str) -> str:
    """Typer's usage errors come in a box wrapped to the terminal: its words on one line."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", text).split())


# `tg ingest runs` column options for files written by `write_csv` with a model, dataset, acc header.
RUN_COLS = ["--model-col", "model", "--dataset-col", "dataset", "--accuracy-col", "acc"]


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# Ids that break string-built Cypher or naive CSV: stored verbatim or the test fails.
HOSTILE = [
    'it\'s "quoted"',
    "back`tick`) DETACH DELETE n //",
    "{braces: 1}",
    "multi\nline\r\nid",
    "$param, comma; semi",
    "ünïcödé/模型",
    " leading and trailing ",
    'back\\slash \\"',
    '"',
]


def synth_runs(
    out: Path,
    *,
    models: int,
    runs: int,
    datasets: int,
    seed: int,
    hostile: float = 0.0,
    auto_lr: bool = False,
) -> Path:
    """A zoo from benchmarks/synth_zoo.py (`hostile`: the fraction of generated ids with hostile
    characters) with one run per HOSTILE id appended (an empty epochs cell two times in three; with
    `auto_lr`, lr 'auto' every other row); returns its runs.csv."""
    extra = ["--hostile", str(hostile)] if hostile else []
    gen = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "synth_zoo.py"), "--models", str(models), "--runs",
         str(runs), "--datasets", str(datasets), "--seed", str(seed), *extra, "--out", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    path = out / "runs.csv"
    with open(path, "a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        for i, h in enumerate(HOSTILE):
            lr = "auto" if auto_lr and i % 2 else 3e-5
            w.writerow([h, f"ds {h}", 0.5, f"run {h}", lr, "" if i % 3 else 4])
    return path


def _import_rows(text: str) -> list[list[str | None]]:
    """CSV rows; an unquoted empty field is None (no value), a quoted one "" (the importer's view)."""
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j, parts = i + 1, []
            while True:
                k = text.index('"', j)
                parts.append(text[j:k])
                if text.startswith('""', k):
                    parts.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            row.append("".join(parts))
        else:
            k = min(x for x in (text.find(",", i), text.find("\n", i), n) if x >= 0)
            row.append(text[i:k] or None)
            i = k
        if i < n and text[i] == ",":
            i += 1
            if i == n or text[i] == "\n":
                row.append(None)
        if i < n and text[i] == "\n":
            rows.append(row)
            row, i = [], i + 1
    return rows + ([row] if row else [])


IMPORT_TYPES = {"long": int, "double": float}


def read_import_files(layout: Any) -> tuple[list[Any], list[Any]]:
    """A bulk Layout's import files as data: nodes (label, id, props) and relationships (start, end,
    type, props), sorted, typed; "" apart from no value (how two writers are compared)."""
    out: dict[str, list[Any]] = {"nodes": [], "rels": []}
    for what, groups in (("nodes", layout.nodes), ("rels", layout.relationships)):
        for header_file, data in groups:
            header = header_file.read_text(encoding="utf-8").strip().split(",")
            for fields in _import_rows(data.read_text(encoding="utf-8")):
                props = []
                for name, value in zip(header, fields, strict=True):
                    if value is not None and not name.startswith(("id:", ":")):
                        prop, kind = name.rsplit(":", 1)
                        props.append((prop, IMPORT_TYPES.get(kind, str)(value)))
                keys = [header[0], fields[0]] if what == "nodes" else fields[:3]
                out[what].append((*keys, sorted(props)))
    return sorted(out["nodes"]), sorted(out["rels"])
