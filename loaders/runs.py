"""Fine-tuning history from an experiment tracker's export (CSV, JSONL or Parquet).

The user maps their columns (`--model-col` ...). Runs without an id get one derived from their
content, so ingesting the same file twice gives the same graph. Models and datasets that the
graph does not know yet become bare nodes, reported in the summary.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transfergraph.loaders.records import MODALITIES, InvalidInput, Problem, Records
from transfergraph.loaders.tabular import read_rows

PEFT_FULL = {None, "", "none", "full", "nan"}


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
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _id(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


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
    problems: list[Problem] = []
    seen: Counter[str] = Counter()
    for line, row in rows:
        model, dataset = _id(row.get(mapping.model)), _id(row.get(mapping.dataset))
        raw_acc = row.get(mapping.accuracy)
        acc = _number(raw_acc)
        if model is None:
            problems.append(Problem(name, line, mapping.model, "empty model id"))
        if dataset is None:
            problems.append(Problem(name, line, mapping.dataset, "empty dataset id"))
        if acc is None or math.isnan(acc):
            problems.append(Problem(name, line, mapping.accuracy, f"expected a number, got {raw_acc!r}"))
        elif not 0.0 <= acc <= 1.0:
            problems.append(
                Problem(name, line, mapping.accuracy, f"expected an accuracy in 0..1, got {acc!r}")
            )
        hparams: dict[str, Any] = {}
        for col in mapping.hparams:
            value = row.get(col)
            number = _number(value)
            hparams[col] = number if number is not None and value is not None else value
        if model is None or dataset is None or acc is None or not 0.0 <= acc <= 1.0:
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
        if mapping.run_id and run_id is None:
            problems.append(Problem(name, line, mapping.run_id, "empty run id"))
            continue
        if run_id is None:
            # Same content -> same id; identical rows are distinct runs, numbered by occurrence.
            key = json.dumps([model, dataset, props], sort_keys=True, default=str)
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
