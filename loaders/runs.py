"""Fine-tuning history from an experiment tracker's export (CSV, JSONL or Parquet).

The user maps their columns (`--model-col` ...). Runs without an id get one derived from their
content (model, dataset, accuracy, PEFT method, timestamp, hyper-parameters; not the file's name)
and their occurrence among identical rows of the file, so ingesting the same rows twice, under
any file name, gives the same graph. Models and datasets that the graph does not know yet become
bare nodes, reported in the summary.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from transfergraph.errors import InvalidInput, Problem
from transfergraph.loaders.records import MODALITIES, Records
from transfergraph.loaders.storable import float_problem, key_problem, value_problem
from transfergraph.loaders.tabular import read_rows

PEFT_FULL = {None, "", "none", "full", "nan"}
# Properties every run gets: a hyper-parameter column of the same name would overwrite them.
RUN_PROPERTIES = ("run_id", "accuracy", "peft", "source", "timestamp")


@dataclass(frozen=True)
class Mapping:
    model: str
    dataset: str
    accuracy: str
    run_id: str | None = None
    peft: str | None = None
    timestamp: str | None = None
    hparams: tuple[str, ...] = field(default_factory=tuple)

    def columns(self) -> list[str]:
        optional = [self.run_id, self.peft, self.timestamp, *self.hparams]
        return [self.model, self.dataset, self.accuracy, *(c for c in optional if c)]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value)
        return float(str(value).strip())
    except (ValueError, OverflowError):  # not a number; an integer beyond a float's range
        return None


def _inexact(raw: Any, value: float) -> str | None:
    """Why an accuracy written as `raw` (text, or the Decimal the JSON reader gives for a number no
    float holds) is refused: it would be stored as another number (0.999...9 as 1.0)."""
    if isinstance(raw, str | Decimal) and len(text := str(raw).strip()) > 15:
        return float_problem(text, value)
    return None


def _id(value: Any) -> str | None:
    """An id as text: strings as they are, integers (JSON, Parquet) in decimal; None when empty.
    Other types are refused by `_id_problem` first."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _id_problem(value: Any, what: str) -> str | None:
    """Why `value` cannot be this id (a list, an object, a float, too long, invalid Unicode)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"empty {what}"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return key_problem(value, what)


def _text_problem(value: Any, what: str) -> str | None:
    """Why `value` cannot be stored as this text field (peft, timestamp): a list, a map, bytes."""
    if value is None or (isinstance(value, str | int | float) and not isinstance(value, bool)):
        return value_problem(value) if isinstance(value, str) else None
    if isinstance(value, list | tuple | dict | bytes | bytearray | bool):
        return f"expected {what}, got {type(value).__name__} {_short(value)}"
    return value_problem(str(value))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load(path: Path, mapping: Mapping, modality: str, source: str | None = None) -> Records:
    if modality not in MODALITIES:
        raise InvalidInput(
            [Problem(str(path), None, None, f"unknown modality {modality!r} (expected image or text)")]
        )
    name = str(path)
    columns, rows = read_rows(path)
    missing = [c for c in mapping.columns() if c not in columns]
    if missing:
        raise InvalidInput(
            [Problem(name, 1, c, "required column is missing (see the --*-col options)") for c in missing]
        )
    rec = Records(source=source or f"runs:{path.name}")
    problems: list[Problem] = [
        Problem(name, 1, col, f"a hyper-parameter column would overwrite the run's {col!r} property")
        for col in mapping.hparams
        if col in RUN_PROPERTIES
    ]
    seen: Counter[str] = Counter()
    for line, row in rows:
        model, dataset = _id(row.get(mapping.model)), _id(row.get(mapping.dataset))
        bad_row = False
        for col, what in ((mapping.model, "model id"), (mapping.dataset, "dataset id")):
            problem = _id_problem(row.get(col), what)
            if problem:
                problems.append(Problem(name, line, col, problem))
                bad_row = True
        raw_acc = row.get(mapping.accuracy)
        acc = _number(raw_acc)
        if acc is None or math.isnan(acc):
            got = _short(raw_acc)
            problems.append(Problem(name, line, mapping.accuracy, f"expected a number, got {got}"))
        elif not 0.0 <= acc <= 1.0:
            problems.append(
                Problem(name, line, mapping.accuracy, f"expected an accuracy in 0..1, got {acc!r}")
            )
        elif problem := _inexact(raw_acc, acc):  # refused: rounding it is the user's choice
            problems.append(Problem(name, line, mapping.accuracy, f"{problem}; round it to 17 digits"))
            bad_row = True
        hparams: dict[str, Any] = {}
        for col in mapping.hparams:
            value = row.get(col)
            number = _number(value) if not isinstance(value, list | dict) else None
            hparams[col] = number if number is not None and value is not None else value
            problem = value_problem(hparams[col])
            if problem:
                problems.append(Problem(name, line, col, problem))
                bad_row = True
        for opt_col, what in ((mapping.peft, "a PEFT method name"), (mapping.timestamp, "a timestamp")):
            problem = _text_problem(row.get(opt_col), what) if opt_col else None
            if problem:
                problems.append(Problem(name, line, opt_col, problem))
                bad_row = True
        if bad_row or model is None or dataset is None or acc is None or not 0.0 <= acc <= 1.0:
            continue
        peft_raw = row.get(mapping.peft) if mapping.peft else None
        peft = (
            "full"
            if peft_raw is None or str(peft_raw).strip().lower() in PEFT_FULL
            else str(peft_raw).lower()
        )
        props: dict[str, Any] = {"accuracy": acc, "peft": peft, "source": rec.source, **hparams}
        if mapping.timestamp:
            props["timestamp"] = _id(row.get(mapping.timestamp))
        run_id = _id(row.get(mapping.run_id)) if mapping.run_id else None
        if mapping.run_id:
            problem = _id_problem(row.get(mapping.run_id), "run id")
            if problem:
                problems.append(Problem(name, line, mapping.run_id, problem))
                continue
        if run_id is None:
            # Same content -> same id, whatever the file is called; identical rows of one file are
            # distinct runs, numbered by occurrence (docs/design.md, "Ingestion": run identity).
            content = {k: v for k, v in props.items() if k != "source"}
            key = json.dumps([model, dataset, content], sort_keys=True, default=str)
            seen[key] += 1
            run_id = "run:" + hashlib.sha1(f"{key}#{seen[key]}".encode()).hexdigest()[:20]
        rec.model(model, modality)
        rec.dataset(dataset, modality)
        rec.runs.append({"run_id": run_id, "model": model, "dataset": dataset, "props": props})
    duplicates = [r["run_id"] for r in rec.runs]
    for run_id, n in Counter(duplicates).items():
        if n > 1:
            problems.append(Problem(name, None, mapping.run_id, f"run id {run_id!r} appears {n} times"))
    if problems:
        raise InvalidInput(problems)
    return rec
