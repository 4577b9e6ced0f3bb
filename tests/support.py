"""Helpers shared by the tests (conftest holds the fixtures)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from transfergraph import config
from transfergraph.cli import run

REPO = Path(__file__).resolve().parents[1]
# The paper's zoo, from TG_ZOO_PATH through the settings (`make test` sets it); unset, the tests that
# need it fail or skip with a message naming the variable.
ZOO = config.load().zoo_path or Path("TG_ZOO_PATH-is-not-set")
# The synthetic zoo generator (benchmarks' and tests'), run as a command: `python SYNTH_ZOO --help`.
SYNTH_ZOO = REPO / "benchmarks" / "synth_zoo.py"


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


@dataclass(frozen=True)
class SecondServer:
    """A managed server besides the test server. `env`: the variables that make `tg` manage it;
    `seen`: every process's argv and environment recorded during its first start."""

    env: dict[str, str]
    seen: list[bytes]

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.env['TG_BOLT_PORT']}"

    @property
    def password(self) -> str:
        return (Path(self.env["TG_SERVER_DIR"]) / "password").read_text().strip()


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
    """A zoo from SYNTH_ZOO (`hostile`: the fraction of generated ids with hostile
    characters) with one run per HOSTILE id appended (an empty epochs cell two times in three; with
    `auto_lr`, lr 'auto' every other row); returns its runs.csv."""
    extra = ["--hostile", str(hostile)] if hostile else []
    gen = subprocess.run(
        [sys.executable, str(SYNTH_ZOO), "--models", str(models), "--runs",
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


def hub_layout(
    folder: Path, splits: dict[str, dict[str, list[Any]]], *, class_names: list[str] | None = None,
    shards: int = 2, image_col: str | None = None,
) -> Path:  # fmt: skip
    """A dataset laid out as a Hugging Face Hub repository: a dataset card (README.md, YAML front
    matter with `configs` and `dataset_info.features`) and each split as parquet shards
    `data/SPLIT-0000i-of-0000n.parquet`. `class_names`: the `label` column is a ClassLabel of them;
    `image_col`: that column holds PNG bytes (as the Hub's parquet export stores images)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (folder / "data").mkdir(parents=True, exist_ok=True)
    card = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split in splits:
        card += [f"  - split: {split}", f"    path: data/{split}-*"]
    card += ["dataset_info:", "  features:"]
    for name, values in next(iter(splits.values())).items():
        card.append(f"  - name: {name}")
        if name == image_col:
            card += ["    dtype: image"]
        elif name == "label" and class_names is not None:
            card += ["    dtype:", "      class_label:", "        names:"]
            card += [f"          '{i}': {c}" for i, c in enumerate(class_names)]
        else:
            card.append(f"    dtype: {'string' if isinstance(values[0], str) else 'int64'}")
    card += ["---", "# A test dataset", ""]
    (folder / "README.md").write_text("\n".join(card), encoding="utf-8")
    for split, table in splits.items():
        n = len(next(iter(table.values())))
        bounds = [round(i * n / shards) for i in range(shards + 1)]
        for i in range(shards):
            part = {}
            for name, values in table.items():
                chunk = values[bounds[i] : bounds[i + 1]]
                if name == image_col:
                    image_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
                    part[name] = pa.array([{"bytes": b, "path": None} for b in chunk], image_type)
                else:
                    part[name] = pa.array(chunk)
            pq.write_table(pa.table(part), folder / "data" / f"{split}-{i:05d}-of-{shards:05d}.parquet")
    return folder


def png(level: int, seed: int, size: int = 32) -> bytes:
    """A noisy grey PNG around `level`."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.clip(np.random.default_rng(seed).normal(level, 20, (size, size, 3)), 0, 255).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def graph_dump(drv: Any) -> str:
    """The whole graph as canonical JSON text (labels, every property, relationships with their
    ends): two dumps are equal when nothing was written in between."""
    import json

    nodes, _, _ = drv.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels, _, _ = drv.execute_query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS p, b.id AS b"
    )
    items = [json.dumps(r.data(), sort_keys=True, default=repr) for r in [*nodes, *rels]]
    return "\n".join(sorted(items))
