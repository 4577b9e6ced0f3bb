"""`tg predict`: fit a ranker on a view's training rows and write PREDICTED for every pair of the modality."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pandas as pd

from transfergraph import config, rankers
from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.errors import MissingInput, ParameterError, TGError
from transfergraph.features import collaborative
from transfergraph.features import table as feats
from transfergraph.output import progress
from transfergraph.predict import intervals, state
from transfergraph.rankers.fewshot import FewShot
from transfergraph.results import Record, Table

DEFAULT_METHOD = "model-prior"  # no `tg evaluate` choice recorded: the baseline the rule keeps on this zoo
TOP_K = 100  # PREDICTED edges kept per (dataset, method): the K best untried models, and the K best tried
CANDIDATES = 1000  # models per dataset recalled by the prior before the full features and the ranker
WRITE_BATCH = 5000  # PREDICTED edges per write transaction


@dataclass(frozen=True)
class Predicted(Record):
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
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Predictions(Table[Predicted]):
    """One row per modality predicted."""


def predictor_dir(settings: Settings, view: str, method: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", view)
    return settings.cache_dir / "predictors" / slug / method


def chosen_method(drv: neo4j.Driver, modality: str) -> str:
    """What `tg evaluate` found best for the modality, else DEFAULT_METHOD."""
    rows = run(drv, "readback/choice", modality=modality)
    return str(rows[0]["method"]) if rows else DEFAULT_METHOD


FIT_DATASETS = 200  # datasets whose runs fit the ranker and calibrate the intervals: all, up to this
FIT_ROWS = 200_000  # ... and this many runs; beyond, a seeded sample of them (tg's memory stays bounded)
BLOCK_ROWS = 100_000  # rows (tried + recalled pairs) featurised, scored and written at a time


def fit_datasets(edges: collaborative.ViewEdges, seed: int) -> list[str]:
    """The datasets with runs, all of them when within FIT_DATASETS and FIT_ROWS; else a seeded
    sample within both (a dataset that alone exceeds FIT_ROWS is skipped). Sorted by id."""
    cols = edges.targets
    counts = np.diff(edges.by_dataset.indptr)[cols]
    cols, counts = cols[counts > 0], counts[counts > 0]
    if len(cols) <= FIT_DATASETS and counts.sum() <= FIT_ROWS:
        return sorted(edges.datasets[cols])
    chosen: list[int] = []
    rows = 0
    for i in np.random.default_rng(seed).permutation(len(cols)):
        if len(chosen) == FIT_DATASETS:
            break
        if rows + counts[i] <= FIT_ROWS:
            chosen.append(cols[i])
            rows += int(counts[i])
    return sorted(edges.datasets[chosen])


def blocks(edges: collaborative.ViewEdges, datasets: list[str], candidates: int) -> list[list[str]]:
    """`datasets` in consecutive blocks of about BLOCK_ROWS rows (a dataset's tried models plus its
    candidates), one dataset at least."""
    tried = np.diff(edges.by_dataset.indptr)
    position = {d: i for i, d in enumerate(edges.datasets)}
    out: list[list[str]] = [[]]
    rows = 0
    for name in datasets:
        size = int(tried[position[name]]) + candidates
        if out[-1] and rows + size > BLOCK_ROWS:
            out.append([])
            rows = 0
        out[-1].append(name)
        rows += size
    return [b for b in out if b]


class _Laps:
    """Seconds per step, summed over blocks and modalities, saved to TG_PREDICT_TIMINGS's file if set."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.seconds: dict[str, float] = {}

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        self.seconds[step] = round(self.seconds.get(step, 0.0) + now - self.last, 3)
        self.last = now

    def save(self) -> None:
        if target := config.predict_timings():
            target.write_text(json.dumps(self.seconds, indent=2))


@dataclass
class FittedView:
    """A ranker fitted on a view, ready to score blocks of its rows."""

    ranker: FewShot
    train: feats.FeatureTable  # the training rows it was fitted on
    vectors: dict[tuple[str, str], list[float]] | None
    fallbacks: list[str]  # one line per ranking that lacked its inputs, in the order tried


def fitted(
    drv: neo4j.Driver, settings: Settings, view: str, modality: str, method: str, seed: int,
    edges: collaborative.ViewEdges, side: feats.Side,
) -> FittedView:  # fmt: skip
    """`method` fitted on the view's runs of `fit_datasets` (wrapped for few-shot datasets). When the
    zoo lacks its inputs, the ranking that needs less (`Ranker.fallback`) takes over, and so on: named
    in `fallbacks`, never an error. A learned ranker is saved with its configuration under the cache."""
    name: str | None = method
    fallbacks: list[str] = []
    graph_rows = collaborative.recalled_frame(edges, feats.TAUS, 0, fit_datasets(edges, seed))
    while name is not None:
        ranker = FewShot(rankers.get(name))
        vectors = (
            feats.embedding_vectors(drv, settings, view, ranker.embedding, seed, fresh=False)
            if ranker.embedding is not None
            else None
        )
        train = feats.join(graph_rows, side, vectors)
        try:
            ranker.fit(train, train.frame["label"].notna(), seed).base.score(train.frame)
        except MissingInput as e:
            fallbacks.append(f"{name}: {e}")
            if ranker.fallback is None:
                raise TGError(f"{method}: {'; '.join(fallbacks)}; nothing to fall back to") from None
            name = ranker.fallback
            continue
        saved = getattr(ranker.base, "fitted", None)
        if saved is not None:
            saved.save(predictor_dir(settings, view, method), {"view": view, "modality": modality})
        return FittedView(ranker, train, vectors, fallbacks)
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


def accuracy_levels(
    drv: neo4j.Driver, view_cfg: dict[str, Any], modality: str, datasets: list[str] | None = None
) -> pd.DataFrame:
    """lo and span of each dataset's accuracy in the view (all of the modality, or `datasets`)."""
    params = {"modality": modality, "target": view_cfg.get("target"), "runs": view_cfg.get("runs", "full"),
              "aggregate": view_cfg.get("aggregate", "mean")}  # fmt: skip
    found = (
        run(drv, "predict/levels", **params)
        if datasets is None
        else run(drv, "predict/levels_of", datasets=datasets, **params)
    )
    levels = pd.DataFrame(found, columns=["dataset", "lo", "hi"]).set_index("dataset")
    return pd.DataFrame({"lo": levels["lo"], "span": levels["hi"] - levels["lo"]})


def calibration(
    drv: neo4j.Driver, view_cfg: dict[str, Any], modality: str, ranker: FewShot
) -> tuple[intervals.Calibration | None, pd.DataFrame, str | None]:
    """(calibration, each dataset's accuracy level, None) or (None, levels, why not): what turns the
    base ranker's scores into an expected accuracy with its 80% interval (`intervals.py`); the
    few-shot re-weighting changes the order, not the level. A learned ranker has no honest
    calibration scores; a thin history cannot calibrate."""
    levels = accuracy_levels(drv, view_cfg, modality)
    honest = ranker.honest()
    if honest is None:
        why = f"no interval: {ranker.name} has no honest scores of known datasets to calibrate on"
        return None, levels, why
    found_calibration, why = intervals.calibrate(honest, ranker.labels, levels)
    return found_calibration, levels, None if found_calibration is not None else f"no interval: {why}"


def with_intervals(
    calibrated: intervals.Calibration | None, levels: pd.DataFrame, rows: pd.DataFrame,
    base_values: np.ndarray, kept: pd.DataFrame,
) -> pd.DataFrame:  # fmt: skip
    """`kept` (rows chosen among `rows`) with expected, low, high: each model's expected accuracy on
    the dataset and its 80% interval, from the base ranker's scores of `rows`; NaN without a
    calibration. A dataset's measured runs (its labelled rows) fix its level, a measured model's
    without its own run. `source`: where the level came from; `no_interval`: why a dataset whose
    own runs refute the calibration shows no band."""
    if calibrated is None:
        return kept.assign(expected=np.nan, low=np.nan, high=np.nan, source=None, no_interval=None)
    models, labels = rows["model"].to_numpy(), rows["label"].to_numpy(float)
    lo_of, span_of = levels["lo"].astype(float), levels["span"].astype(float)
    where = rows.groupby("dataset", sort=False).indices
    kept_models = kept["model"].to_numpy()
    # filled per dataset and written once: a .loc per dataset took 4.5 s at 1k datasets
    values = np.full((len(kept), 3), np.nan)
    source, no_interval = np.full(len(kept), None, dtype=object), np.full(len(kept), None, dtype=object)
    for key, place in kept.groupby("dataset", sort=False).indices.items():
        dataset = str(key)
        at = where[dataset]
        scores = pd.Series(base_values[at].astype(float), index=models[at])
        measured = pd.Series(dtype=float)
        if dataset in lo_of.index:
            tried = at[~np.isnan(labels[at])]
            measured = pd.Series(lo_of[dataset] + span_of[dataset] * labels[tried], index=models[tried])
        band = calibrated.interval(scores, measured)
        why = calibrated.check(band, measured)
        if why is not None:
            no_interval[place] = why
        else:
            found = band.index.get_indexer(pd.Index(kept_models[place]))
            values[place] = np.where(
                (found >= 0)[:, None], band[["expected", "low", "high"]].to_numpy(float)[found], np.nan
            )
        source[place] = calibrated.source(len(measured))
    return kept.assign(expected=values[:, 0], low=values[:, 1], high=values[:, 2], source=source,
                      no_interval=no_interval)  # fmt: skip


def predict(
    drv: neo4j.Driver, settings: Settings, view: str, method: str | None, *, seed: int = 0,
    datasets: list[str] | None = None, top_k: int = TOP_K, candidates: int = CANDIDATES,
    show_progress: bool = False,
) -> Predictions:  # fmt: skip
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
    refreshed: dict[str, list[str]] = {}  # modality -> its datasets refreshed
    if datasets:
        from transfergraph import graph

        for dataset in datasets:
            graph.refresh_dataset(drv, view, dataset)
            modality = run(drv, "readback/dataset", id=dataset)[0]["modality"]
            refreshed.setdefault(modality, []).append(dataset)
        modalities = list(refreshed)
    else:
        modalities = (
            [view_cfg["modality"]]
            if view_cfg.get("modality")
            else [r["modality"] for r in run(drv, "predict/modalities", view=view)]
        )
    if not modalities:
        raise TGError(f"view {view!r} has no accuracy edges: ingest runs and rebuild it (`tg graph build`)")
    out = []
    lap = _Laps()
    for modality in modalities:
        method_here = method or chosen_method(drv, modality)
        args = (
            view_cfg,
            modality,
            method_here,
            seed,
            refreshed.get(modality),
            top_k,
            candidates,
            show_progress,
        )
        out.append(_predict_modality(drv, settings, view, *args, lap))
    lap.save()
    return Predictions(tuple(out))


def _predict_modality(
    drv: neo4j.Driver, settings: Settings, view: str, view_cfg: dict[str, Any], modality: str, method: str,
    seed: int, datasets: list[str] | None, top_k: int, candidates: int, show_progress: bool, lap: _Laps,
) -> Predicted:  # fmt: skip
    """Fit once on the view's runs, then per block of datasets: recall, featurise, score, keep the
    top K with their intervals, replace that block's predictions. tg's memory is one block's.

    A refresh of `datasets` reuses what the last full run of this view and method saved, when the
    view changed since only by this refresh (`state.py`); otherwise it exports and fits as a full run."""
    stamp = feats.view_settings(drv, view).get("stamp")  # after the refresh, if any
    models_now = run(drv, "features/model_count", modality=modality)[0]["models"]
    before = view_cfg.get("stamp")  # before the refresh, if any
    saved = None
    if datasets is not None and before is not None:
        saved = state.load(settings, view, method, modality, before)
    edges = None
    reusable = saved is not None and saved.models == models_now
    if saved is not None and reusable and saved.fitted.ranker.embedding is None:
        edges = collaborative.patched(saved.edges, drv, view, modality, datasets or [])
    if edges is not None and saved is not None:
        done, (calibrated, levels, no_interval) = saved.fitted, saved.calibration
        refreshed = accuracy_levels(drv, view_cfg, modality, datasets)
        levels = pd.concat([levels.drop(index=datasets or [], errors="ignore"), refreshed])
        lap("patch saved edges")
    else:
        edges = collaborative.export(drv, view, modality)
        lap("export edges")
        whole = feats.side_of(drv, modality)
        lap("metadata")
        done = fitted(drv, settings, view, modality, method, seed, edges, whole)
        lap("fit")
        calibrated, levels, no_interval = calibration(drv, view_cfg, modality, done.ranker)
        lap("calibrate")
    ranker, fallback = done.ranker, "; ".join(done.fallbacks) or None

    def side_of(rows: pd.DataFrame, names: list[str]) -> feats.Side:
        if saved is None or edges is None or done is not saved.fitted:
            return whole
        return feats.side_of(drv, modality, models=sorted(set(rows["model"])), datasets=names)

    runs_now = run(drv, "predict/run_count", modality=modality)[0]["runs"]
    targets = sorted(edges.datasets[edges.targets])
    if datasets is not None:
        wanted = set(datasets)
        targets = [d for d in targets if d in wanted]
    removed = written = 0
    notes: list[str] = []
    with progress(eta=True) as bar:
        task = bar.add_task(f"predict {modality}", total=len(targets), visible=show_progress)
        for names in blocks(edges, targets, candidates):
            graph_rows = collaborative.recalled_frame(edges, feats.TAUS, candidates, names)
            rows = feats.join(graph_rows, side_of(graph_rows, names), done.vectors).frame
            lap("recall and features")
            values = ranker.score(rows)
            notes += ranker.notes
            best = best_rows(rows, values, top_k)
            lap("score")
            kept = with_intervals(calibrated, levels, rows, ranker.base_values, best)
            kept = kept[["model", "dataset", "score", "expected", "low", "high", "source", "no_interval"]]
            kept = kept.astype(object)
            records = kept.where(kept.notna(), None).to_dict("records")
            lap("intervals")
            removed += run(drv, "predict/clear", view=view, method=method, modality=modality,
                           datasets=names)[0]["removed"]  # fmt: skip
            for i in range(0, len(records), WRITE_BATCH):
                written += run(
                    drv, "predict/write", rows=records[i : i + WRITE_BATCH], view=view, method=method,
                    runs=runs_now, top_k=top_k, ranked_by=ranker.name, fallback=fallback,
                    no_interval=no_interval,
                )[0]["written"]  # fmt: skip
            bar.advance(task, len(names))
            lap("write")
    if datasets is None:  # a full run: the datasets no longer in the view lose their predictions
        removed += run(drv, "predict/clear_others", view=view, method=method, modality=modality,
                       datasets=targets)[0]["removed"]  # fmt: skip
        lap("write")
    if stamp is not None:
        kept_state = state.State(stamp, models_now, edges, done, (calibrated, levels, no_interval))
        state.save(settings, view, method, modality, kept_state, replaces=before if datasets else None)
        lap("save state")
    return Predicted(view, method, modality, written, removed, ", ".join(done.train.missing) or "-",
                     len(notes), ranker.name, fallback or "-", no_interval or "-", tuple(notes))  # fmt: skip
