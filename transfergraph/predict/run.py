"""`tg predict`: fit a ranker on a view's training rows and write PREDICTED for every pair of the modality."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pandas as pd

from transfergraph import rankers
from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.errors import ParameterError, TGError
from transfergraph.features import table as feats
from transfergraph.predict import intervals
from transfergraph.rankers.fewshot import FewShot

DEFAULT_METHOD = "model-prior"  # no `tg evaluate` choice recorded: the baseline the rule keeps on this zoo
TOP_K = 100  # PREDICTED edges kept per (dataset, method): the K best untried models, and the K best tried
CANDIDATES = 1000  # models per dataset recalled by the prior before the full features and the ranker


@dataclass
class Predicted:
    """What `tg predict` did for one modality of a view."""

    view: str
    method: str
    modality: str
    predicted: int  # PREDICTED edges written
    replaced: int  # earlier ones of this (view, method) removed
    missing_features: str  # feature groups the zoo has no data for, or "-"
    few_shot: int  # datasets ranked with their own few runs
    ranked_by: str  # `method`, or the ranking it fell back to when the zoo lacks its inputs
    fallback: str  # why it fell back, or "-"
    interval: str  # why no expected accuracy with an interval was stored, or "-"
    notes: list[str] = field(default_factory=list)


def predictor_dir(settings: Settings, view: str, method: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", view)
    return settings.cache_dir / "predictors" / slug / method


def chosen_method(drv: neo4j.Driver, modality: str) -> str:
    """What `tg evaluate` found best for the modality, else DEFAULT_METHOD."""
    rows = run(drv, "readback/choice", modality=modality)
    return str(rows[0]["method"]) if rows else DEFAULT_METHOD


@dataclass
class Scored:
    """A ranker's scores of rows of a view's feature table, and how it got there."""

    table: feats.FeatureTable
    rows: pd.DataFrame
    values: np.ndarray
    ranker: FewShot
    fallbacks: list[str]  # one line per ranking that lacked its inputs, in the order tried


def scored(
    drv: neo4j.Driver, settings: Settings, view: str, modality: str, method: str, seed: int,
    datasets: set[str] | None, candidates: int | None = None,
) -> Scored:  # fmt: skip
    """`method` fitted on the view's labelled rows (wrapped for few-shot datasets) scoring the rows
    of `datasets` (all when None). When the zoo lacks its inputs, the ranking that needs less
    (`Ranker.fallback`) takes over, and so on: named in `fallbacks`, never an error. A learned ranker
    is saved with its configuration under the cache."""
    name: str | None = method
    fallbacks: list[str] = []
    tables: dict[object, feats.FeatureTable] = {}
    while name is not None:
        ranker = FewShot(rankers.get(name))
        if ranker.embedding not in tables:
            vectors = (
                feats.embedding_vectors(drv, settings, view, ranker.embedding, seed, fresh=False)
                if ranker.embedding is not None
                else None
            )
            tables[ranker.embedding] = feats.build_table(
                drv, view, modality, vectors=vectors, candidates=candidates
            )
        table = tables[ranker.embedding]
        frame = table.frame
        rows = frame if datasets is None else frame[frame["dataset"].isin(datasets)]
        try:
            values = ranker.fit(table, frame["label"].notna(), seed).score(rows)
        except rankers.MissingInput as e:
            fallbacks.append(f"{name}: {e}")
            if ranker.fallback is None:
                raise TGError(f"{method}: {'; '.join(fallbacks)}; nothing to fall back to") from None
            name = ranker.fallback
            continue
        saved = getattr(ranker.base, "fitted", None)
        if saved is not None:
            saved.save(predictor_dir(settings, view, method), {"view": view, "modality": modality})
        return Scored(table, rows, values, ranker, fallbacks)
    raise AssertionError("unreachable")


def best_rows(rows: pd.DataFrame, values: np.ndarray, top_k: int) -> pd.DataFrame:
    """Per dataset, the `top_k` best-scored models without a run in the view and the `top_k` best with
    one (a user asks for the untried; `--include-tried` ranks the tried too): what `tg predict`
    stores, so PREDICTED never grows with models x datasets. Ties: by model id."""
    if top_k < 1:
        raise ParameterError("top_k", "must be at least 1")
    frame = pd.DataFrame(
        {"model": rows["model"].to_numpy(), "dataset": rows["dataset"].to_numpy(), "score": values,
         "tried": rows["label"].notna().to_numpy()}
    ).dropna(subset=["score"])  # fmt: skip
    frame = frame.sort_values(["dataset", "tried", "score", "model"], ascending=[True, True, False, True])
    return frame.groupby(["dataset", "tried"], sort=False).head(top_k)


def with_intervals(
    drv: neo4j.Driver, view_cfg: dict[str, Any], modality: str, done: Scored, kept: pd.DataFrame
) -> tuple[pd.DataFrame, str | None]:
    """`kept` with expected, low, high: each model's expected accuracy on the dataset and its 80%
    interval (`intervals.py`), from the base ranker's scores (the few-shot re-weighting changes the
    order, not the level); or NaN and why not (a learned ranker has no honest calibration scores,
    a thin history cannot calibrate)."""
    frame = done.table.frame
    out = kept.assign(expected=np.nan, low=np.nan, high=np.nan)
    labels = frame.pivot_table(index="model", columns="dataset", values="label", aggfunc="mean")
    honest = done.ranker.base.training_scores(frame, labels)
    if honest is None:
        return out, f"no interval: {done.ranker.name} has no honest scores of known datasets to calibrate on"
    found = run(drv, "predict/levels", modality=modality, target=view_cfg.get("target"),
                runs=view_cfg.get("runs", "full"), aggregate=view_cfg.get("aggregate", "mean"))  # fmt: skip
    levels = pd.DataFrame(found, columns=["dataset", "lo", "hi"]).set_index("dataset")
    levels = pd.DataFrame({"lo": levels["lo"], "span": levels["hi"] - levels["lo"]})
    calibration, why = intervals.calibrate(honest, labels, levels)
    if calibration is None:
        return out, f"no interval: {why}"
    base = pd.Series(done.ranker.base.score(done.rows), index=done.rows.index)
    for dataset, part in kept.groupby("dataset"):
        rows = done.rows[done.rows["dataset"] == dataset]
        scores = pd.Series(base[rows.index].to_numpy(float), index=rows["model"].to_numpy())
        measured = pd.Series(dtype=float)
        if dataset in levels.index and dataset in labels:
            lo, span = levels["lo"].astype(float)[dataset], levels["span"].astype(float)[dataset]
            measured = (lo + span * labels[dataset].astype(float)).dropna()
        band = calibration.interval(scores, measured).reindex(part["model"].to_numpy())
        out.loc[part.index, ["expected", "low", "high"]] = band.to_numpy(float)
    return out, None


def predict(
    drv: neo4j.Driver, settings: Settings, view: str, method: str | None, *, seed: int = 0,
    datasets: list[str] | None = None, top_k: int = TOP_K, candidates: int = CANDIDATES,
) -> list[Predicted]:  # fmt: skip
    """Replace (view, method)'s PREDICTED edges; one summary per modality. `method` None: per
    modality, the one `tg evaluate` recorded as best (else DEFAULT_METHOD).

    With `datasets` (a refresh after new facts about them: a dataset added, scored or given runs),
    only their part of the view is re-derived and only their predictions are replaced; the ranker is
    still fitted on the whole modality, so its settings see the same training rows as a full run.

    Recall, then rank: per dataset the ranker scores the `candidates` models with the best prior (and
    the tried ones, its training rows); with `candidates` at least the number of models, every model.
    Only the `top_k` best untried and tried per dataset are stored."""
    if candidates < top_k:
        raise ParameterError(
            "candidates", f"must be at least top_k ({top_k}): the stored ones are among them"
        )
    view_cfg = feats.view_settings(drv, view)
    if datasets:
        from transfergraph import prune

        modalities = []
        for dataset in datasets:
            prune.refresh_dataset(drv, view, dataset)
            modality = run(drv, "readback/dataset", id=dataset)[0]["modality"]
            modalities += [modality] if modality not in modalities else []
    else:
        modalities = (
            [view_cfg["modality"]]
            if view_cfg.get("modality")
            else [r["modality"] for r in run(drv, "predict/modalities", view=view)]
        )
    if not modalities:
        raise TGError(f"view {view!r} has no accuracy edges: ingest runs and rebuild it (`tg graph build`)")
    out = []
    for modality in modalities:
        method_here = method or chosen_method(drv, modality)
        keep = None if not datasets else set(datasets)
        done = scored(drv, settings, view, modality, method_here, seed, keep, candidates)
        table, ranker, rows_scored, values = done.table, done.ranker, done.rows, done.values
        fallback = "; ".join(done.fallbacks) or None
        runs_now = run(drv, "predict/run_count", modality=modality)[0]["runs"]
        kept, no_interval = with_intervals(
            drv, view_cfg, modality, done, best_rows(rows_scored, values, top_k)
        )
        kept = kept[["model", "dataset", "score", "expected", "low", "high"]].astype(object)
        rows = kept.where(kept.notna(), None).to_dict("records")
        removed = run(
            drv, "predict/clear", view=view, method=method_here, modality=modality,
            datasets=None if keep is None else sorted(keep),
        )[0]["removed"]  # fmt: skip
        written = 0
        for i in range(0, len(rows), 5000):
            written += run(
                drv, "predict/write", rows=rows[i : i + 5000], view=view, method=method_here, runs=runs_now,
                top_k=top_k, ranked_by=ranker.name, fallback=fallback, no_interval=no_interval,
            )[0]["written"]  # fmt: skip
        out.append(
            Predicted(view, method_here, modality, written, removed, ", ".join(table.missing) or "-",
                      len(ranker.notes), ranker.name, fallback or "-", no_interval or "-", list(ranker.notes))
        )  # fmt: skip
    return out
