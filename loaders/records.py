"""Canonical records: what every loader produces and `tg ingest` writes.

A loader reads and validates *everything* before anything is written: a malformed file raises
`transfergraph.errors.InvalidInput` with one `Problem` per bad cell, and the database is left untouched.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from transfergraph.choices import Modality
from transfergraph.schema import ENTITIES

MODALITIES = tuple(Modality)


def clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop unknown values: a loader only asserts what its source knows (None/NaN would erase)."""
    return {k: v for k, v in props.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}


@dataclass
class Records:
    """One loader's output. Node rows: {id, modality, props}; relationship rows name their endpoints."""

    source: str
    # id -> {id, modality, props}; add through `model()` / `dataset()` so repeated ids merge
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # {model, dataset, props}
    pretrained_on: list[dict[str, Any]] = field(default_factory=list)
    # {a, b, probe, props}: one row per unordered pair and probe model, a < b
    similarities: list[dict[str, Any]] = field(default_factory=list)
    # {run_id, model, dataset, props}: one row per fine-tuning run
    runs: list[dict[str, Any]] = field(default_factory=list)
    # {model, dataset, metric, props}
    scores: list[dict[str, Any]] = field(default_factory=list)
    # (entity, reason) -> count of input rows not turned into records
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    # data corrections applied, reported in the summary
    notes: list[str] = field(default_factory=list)

    def model(self, id: str, modality: str | None, **props: Any) -> None:
        _merge(self.models, id, modality, props)

    def dataset(self, id: str, modality: str | None, **props: Any) -> None:
        _merge(self.datasets, id, modality, props)

    def extend(self, other: Records) -> None:
        for row in other.models.values():
            self.model(row["id"], row["modality"], **row["props"])
        for row in other.datasets.values():
            self.dataset(row["id"], row["modality"], **row["props"])
        for name in ("pretrained_on", "similarities", "runs", "scores", "notes"):
            getattr(self, name).extend(getattr(other, name))
        self.skipped.update(other.skipped)

    def rows(self, entity: str) -> list[dict[str, Any]]:
        table = getattr(self, entity)
        return list(table.values()) if isinstance(table, dict) else list(table)

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ENTITIES}


def _merge(table: dict[str, dict[str, Any]], id: str, modality: str | None, props: dict[str, Any]) -> None:
    row = table.setdefault(id, {"id": id, "modality": modality, "props": {}})
    row["modality"] = row["modality"] or modality
    row["props"].update(clean(props))
