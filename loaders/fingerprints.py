"""Dataset fingerprints: the probe embeddings of datasets, in a file a team can share.

A fingerprint file is JSON lines, one dataset per line (format `transfergraph-fingerprint`,
version 1, documented in docs/design.md, "Fingerprint files"):

    {"format": "transfergraph-fingerprint", "version": 1, "id": "cifar100", "modality": "image",
     "probe": "google/vit-base-patch16-224", "probe_revision": "3f49326...", "vector": [0.12, ...],
     "sample": 1000, "seed": 0, "source": "hf:uoft-cs/cifar100", "created_at": "2026-12-05T08:00:00Z"}

`probe_revision`, `source` and `created_at` may be null (unknown). Every line is checked before
anything is written; a problem names the file, the line and the field. With the graph's own
embeddings, `similarities` gives the SIMILAR_TO distances a file adds: between its datasets and
to every dataset embedded with the same probe (the distance `tg dataset add` computes).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from transfergraph.errors import InvalidInput, Problem
from transfergraph.loaders.records import MODALITIES
from transfergraph.loaders.storable import INT64_MAX, INT64_MIN, key_problem, value_problem
from transfergraph.loaders.tabular import read_rows

FORMAT = "transfergraph-fingerprint"
VERSION = 1
SUFFIXES = (".jsonl", ".ndjson", ".json")
MAX_BYTES = 512 * 2**20  # a shared file is read whole: 512 MiB is ~80,000 768-d fingerprints
MAX_DIMENSIONS = 65_536
REQUIRED = ("format", "version", "id", "modality", "probe", "vector", "sample", "seed")
OPTIONAL = ("probe_revision", "source", "created_at")  # null: unknown


@dataclass(frozen=True)
class Fingerprint:
    id: str
    modality: str
    probe: str
    probe_revision: str | None
    vector: tuple[float, ...]
    sample: int  # items embedded
    seed: int
    source: str | None  # where the data came from: an hf: reference or a path on the maker's machine
    created_at: str | None  # ISO 8601
    line: int = 0  # where it was read (0: from the graph)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": VERSION, "id": self.id, "modality": self.modality,
            "probe": self.probe, "probe_revision": self.probe_revision, "vector": list(self.vector),
            "sample": self.sample, "seed": self.seed, "source": self.source, "created_at": self.created_at,
        }  # fmt: skip


def read_json_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, object) of a JSON-lines file, refused whole when unreadable: the one place a fingerprint
    file is parsed, each line through the loaders' guarded reader (`tabular.read_rows` ->
    `guarded_json.parse_json`: UTF-8, size and depth limits, huge integers)."""
    name = str(path)
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidInput([Problem(name, None, None, "a fingerprint file is JSON lines: expected .jsonl")])
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_rows names a missing file
    if size > MAX_BYTES:
        raise InvalidInput([Problem(name, None, None, f"{size} bytes: larger than the {MAX_BYTES} we read")])
    _, rows = read_rows(path)
    if not rows:
        raise InvalidInput([Problem(name, None, None, "no fingerprints in the file")])
    return rows


def _integer(value: Any, low: int) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"expected an integer, got {_short(value)}"
    if not low <= value <= INT64_MAX:
        return f"{_short(value)} is outside [{low}, {INT64_MAX}]"
    return value


def _short(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool | None) else type(value).__name__
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]}"


def _vector(value: Any) -> tuple[float, ...] | str:
    if not isinstance(value, list) or not value:
        return f"expected a non-empty list of numbers, got {_short(value)}"
    if len(value) > MAX_DIMENSIONS:
        return f"{len(value)} values: more than the {MAX_DIMENSIONS} we accept"
    out = []
    for i, x in enumerate(value):
        if isinstance(x, bool) or not isinstance(x, int | float):
            return f"item {i}: expected a number, got {_short(x)}"
        try:
            f = float(x)
        except OverflowError:
            return f"item {i}: {_short(x)} is too large for a 64-bit float"
        if not math.isfinite(f):
            return f"item {i}: non-finite number {x!r}"
        out.append(f)
    return tuple(out)


def _text(value: Any, nullable: bool) -> str | tuple[str] | None:
    """The text, or a 1-tuple holding why it is not one."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        return (f"expected text, got {_short(value)}",)
    problem = value_problem(value)
    return (problem,) if problem else value


def fingerprint(name: str, line: int, record: dict[str, Any]) -> Fingerprint | list[Problem]:
    """One line checked: the Fingerprint, or a Problem per bad field."""

    def bad(column: str | None, message: str) -> Problem:
        return Problem(name, line, column, message)

    if record.get("format") != FORMAT:
        return [bad("format", f"expected {FORMAT!r}, got {_short(record.get('format'))}: not a fingerprint")]
    version = record.get("version")
    if version != VERSION or isinstance(version, bool):
        newer = isinstance(version, int) and not isinstance(version, bool) and version > VERSION
        why = "written by a newer transfergraph: upgrade to read it" if newer else "unknown version"
        return [bad("version", f"version {_short(version)}: {why} (this one reads version {VERSION})")]
    problems = [bad(k, "missing") for k in REQUIRED if k not in record]
    problems += [
        bad(k, f"unknown field (version {VERSION} has {', '.join(REQUIRED + OPTIONAL)})")
        for k in record
        if k not in REQUIRED + OPTIONAL
    ]
    values: dict[str, Any] = {}
    for key, what in (("id", "dataset id"), ("probe", "probe model")):
        problem = key_problem(record.get(key), what) if key in record else None
        if problem:
            problems.append(bad(key, problem))
        values[key] = record.get(key)
    modality = record.get("modality")
    if "modality" in record and modality not in MODALITIES:
        problems.append(bad("modality", f"expected image or text, got {_short(modality)}"))
    checks = {"vector": _vector(record.get("vector")) if "vector" in record else (),
              "sample": _integer(record.get("sample"), 1) if "sample" in record else 1,
              "seed": _integer(record.get("seed"), INT64_MIN) if "seed" in record else 0}  # fmt: skip
    for key, checked in checks.items():
        if isinstance(checked, str):
            problems.append(bad(key, checked))
        values[key] = checked
    for key in OPTIONAL:
        text = _text(record.get(key), nullable=True)
        if isinstance(text, tuple):
            problems.append(bad(key, text[0]))
        values[key] = text
    created = values["created_at"]
    if isinstance(created, str):
        try:
            datetime.fromisoformat(created)
        except ValueError:
            problems.append(bad("created_at", f"expected an ISO 8601 time, got {_short(created)}"))
    if problems:
        return problems
    return Fingerprint(
        id=values["id"],
        modality=str(modality),
        probe=values["probe"],
        probe_revision=values["probe_revision"],
        vector=values["vector"],
        sample=values["sample"],
        seed=values["seed"],
        source=values["source"],
        created_at=created,
        line=line,
    )


def read(path: Path) -> list[Fingerprint]:
    """Every fingerprint of the file, or InvalidInput naming every bad line and field. Within the file,
    a dataset appears once, and a probe's vectors have one size and one modality."""
    name = str(path)
    problems: list[Problem] = []
    out: list[Fingerprint] = []
    for line, record in read_json_lines(path):
        got = fingerprint(name, line, record)
        if isinstance(got, list):
            problems += got
        else:
            out.append(got)
    seen: dict[str, Fingerprint] = {}
    first_of_probe: dict[str, Fingerprint] = {}
    for fp in out:
        if fp.id in seen:
            problems.append(
                Problem(name, fp.line, "id", f"dataset {fp.id!r} is already on line {seen[fp.id].line}")
            )
            continue
        seen[fp.id] = fp
        first = first_of_probe.setdefault(fp.probe, fp)
        problems += _agrees(name, fp, first, f"line {first.line}")
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return out


def _agrees(name: str, fp: Fingerprint, other: Fingerprint, where: str) -> list[Problem]:
    """Two fingerprints of one probe are comparable: same modality, same vector size."""
    probe = repr(fp.probe)
    if fp.modality != other.modality:
        why = f"{fp.modality}, but probe {probe} embeds {other.modality} datasets ({where})"
        return [Problem(name, fp.line, "modality", why)]
    if len(fp.vector) != len(other.vector):
        why = f"{len(fp.vector)} values, but probe {probe} gives {len(other.vector)} ({where})"
        return [Problem(name, fp.line, "vector", why)]
    return []


def check_against(
    name: str, fps: list[Fingerprint], graph: list[Fingerprint], modalities: dict[str, str | None]
) -> None:
    """InvalidInput when the file disagrees with the graph: a dataset of the other modality, or a
    vector size other than the probe's embeddings here."""
    problems: list[Problem] = []
    by_probe: dict[str, Fingerprint] = {}
    in_file = {fp.id for fp in fps}
    for g in graph:
        if g.id not in in_file:
            by_probe.setdefault(g.probe, g)
    for fp in fps:
        known = modalities.get(fp.id)
        if known is not None and known != fp.modality:
            problems.append(Problem(name, fp.line, "modality", f"dataset {fp.id!r} is {known} in the graph"))
        elif fp.probe in by_probe:
            problems += _agrees(
                name, fp, by_probe[fp.probe], f"dataset {by_probe[fp.probe].id!r} in the graph"
            )
    if problems:
        raise InvalidInput(problems)


def check_path(path: Path) -> None:
    """Where a fingerprint file can be written: a .jsonl name in an existing folder (checked before a
    long job, not after it)."""
    why = None
    if path.suffix.lower() not in SUFFIXES:
        why = "a fingerprint file is JSON lines: name it .jsonl"
    elif not path.parent.is_dir():
        why = f"no folder {str(path.parent)!r} to write it in"
    elif path.is_dir():
        why = "is a folder"
    if why:
        raise InvalidInput([Problem(str(path), None, None, why)])


def write(path: Path, fps: list[Fingerprint]) -> None:
    """The file, written whole or not at all (a temporary file renamed over it)."""
    check_path(path)
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".part", delete=False
        ) as f:
            for fp in fps:
                f.write(json.dumps(fp.as_json(), ensure_ascii=False, allow_nan=False) + "\n")
        os.replace(f.name, path)
    except OSError as e:
        raise InvalidInput([Problem(str(path), None, None, f"cannot write: {e.strerror or e}")]) from None
