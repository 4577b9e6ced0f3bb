"""`tg score`: transferability of candidate models on a user's dataset, computed here.

Features come from each model without fine-tuning (docs/method.md); LogME and Reg-H-Score are
computed from them (`transferability`) and written as TRANSFERABILITY edges one model at a time,
so an interrupted run keeps what it finished and a re-run skips the pairs already written.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j

from transfergraph import ingest
from transfergraph.db import run
from transfergraph.errors import TGError
from transfergraph.loaders.records import Records
from transfergraph.results import Record, Table

METRIC_NAMES = {"logme": "LogME", "reg-h-score": "Reg-H-Score"}  # option value -> stored metric


def candidates(
    drv: neo4j.Driver, dataset: str, modality: str, models: list[str], top: int | None
) -> list[dict[str, Any]]:
    """The models to score: the named ones (each must be in the graph, of the dataset's modality),
    or the `top` best-ranked for the dataset by the graph."""
    if models and top is not None:
        raise TGError("give --models or --top-from-graph, not both")
    if not models:
        if top is None or top < 1:
            raise TGError("give --models ID ... or --top-from-graph N (N >= 1)")
        models = [r["model"] for r in run(drv, "userdata/top_models", dataset=dataset, n=top)]
        if not models:
            raise TGError(f"no {modality} models in the graph to score on {dataset!r}")
    rows = run(drv, "userdata/models", ids=list(dict.fromkeys(models)))
    unknown = [r["id"] for r in rows if not r["known"]]
    if unknown:
        raise TGError(f"unknown model {unknown[0]!r}: add it with `tg model add {unknown[0]}`")
    other = [r for r in rows if r["modality"] not in (None, modality)]
    if other:
        raise TGError(
            f"model {other[0]['id']!r} is a {other[0]['modality']} model; {dataset!r} is {modality}"
        )
    return rows


@dataclass(frozen=True)
class ScoreRow(Record):
    model: str
    metric: str  # one metric, or the ones already stored ("logme, reg-h-score")
    score: float | None  # None when already scored
    seconds: float
    status: str  # "written" or "already scored"


@dataclass(frozen=True)
class Scores(Table[ScoreRow]):
    """Transferability computed here, per (model, metric); and how long reading a ranking takes."""

    dataset: str = ""
    ranking_seconds: float = 0.0


def score(
    drv: neo4j.Driver,
    dataset: str,
    *,
    models: list[str],
    top: int | None = None,
    metrics: list[str],
    source: Path | None = None,
    force: bool = False,
    batch_size: int = 16,
    on_start: Callable[[str, int], None] = lambda _m, _n: None,
    on_batch: Callable[[int], None] | None = None,
) -> Scores:
    """Score every candidate model on the dataset; returns rows (model, metric, score, seconds) and
    the time one graph ranking takes, for the ratio."""
    from transfergraph.transferability import METRICS
    from transfergraph.userdata import data, encode

    found = run(drv, "userdata/dataset_source", id=dataset)
    if not found:
        raise TGError(f"unknown dataset {dataset!r}: add it with `tg dataset add {dataset} --from ...`")
    info = found[0]
    where: Path | str | None = source or info["source"]  # a path, or an hf: reference
    if where is None:
        raise TGError(f"no data known for {dataset!r}: `tg dataset embed {dataset} --from ...` (or --from)")
    stored = [METRIC_NAMES[m] for m in metrics]
    rows = candidates(drv, dataset, info["modality"], models, top)
    done = (
        set()
        if force
        else {(r["model"], r["metric"]) for r in run(drv, "userdata/scored", dataset=dataset, metrics=stored)}
    )
    loaded = data.read(
        where,
        info["modality"],
        label_col=info["label_col"],
        text_col=info["text_col"],
        sample=int(info["sample"] or 1000),
        seed=int(info["seed"] or 0),
    )
    out: list[dict[str, Any]] = []
    for row in rows:
        todo = [m for m in stored if (row["id"], m) not in done]
        if not todo:
            out.append(
                {
                    "model": row["id"],
                    "metric": ", ".join(stored),
                    "score": None,
                    "seconds": 0.0,
                    "status": "already scored",
                }
            )
            continue
        on_start(row["id"], len(loaded.items))
        start = time.perf_counter()
        features = encode.features(
            row["id"], loaded, local_path=row["weights_path"], batch_size=batch_size, on_batch=on_batch
        )
        rec = Records(source="tg score")
        values = {}
        for metric in todo:
            value = float(METRICS[metric](features, loaded.labels))
            if not math.isfinite(value):
                raise TGError(f"{metric} of {row['id']!r} on {dataset!r} is {value}: not written")
            values[metric] = value
            rec.scores.append(
                {"model": row["id"], "dataset": dataset, "metric": metric,
                 "props": {"score": value, "computed": True, "sample": len(loaded.items)}}
            )  # fmt: skip
        ingest.write(drv, rec)  # one model at a time: an interruption keeps the finished ones
        seconds = time.perf_counter() - start
        for metric, value in values.items():
            out.append(
                {
                    "model": row["id"],
                    "metric": metric,
                    "score": round(value, 4),
                    "seconds": round(seconds, 2),
                    "status": "written",
                }
            )
    start = time.perf_counter()
    run(drv, "userdata/top_models", dataset=dataset, n=10)
    ranking = time.perf_counter() - start
    return Scores(tuple(ScoreRow(**r) for r in out), dataset, ranking)
