"""`tg predict`: train on a view's training rows and write PREDICTED for every pair of the modality."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import neo4j
import numpy as np
import pandas as pd

from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.errors import TGError
from transfergraph.predict import features as feats
from transfergraph.predict import train as training
from transfergraph.predict.regressors import Method
from transfergraph.readback import baselines


def predictor_dir(settings: Settings, view: str, method: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", view)
    return settings.cache_dir / "predictors" / slug / method


def scores_for(
    drv: neo4j.Driver, settings: Settings, view: str, modality: str, method: str, seed: int
) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """(feature frame, scores of every row, configuration) of `method` trained on the view. A baseline
    or a training-free ranking stands in for a regressor when `tg evaluate` finds one best."""
    if method in baselines.BASELINES + baselines.OURS:
        table = feats.build_table(drv, view, modality)
        train = table.frame["label"].notna()
        values, note = baselines.scores(method, table, train, table.frame)
        if values is None:
            raise TGError(f"{method}: {note}")
        return table.frame, values, {"method": method, "note": note, "missing": table.missing}
    parsed = Method.parse(method)
    vectors = None
    if parsed.embedding is not None:
        from transfergraph import embed

        vectors = embed.vectors(drv, view, parsed.embedding)
        if not vectors:
            embed.embed(drv, settings, view, parsed.embedding, seed=seed, show_progress=False)
            vectors = embed.vectors(drv, view, parsed.embedding)
    table = feats.build_table(drv, view, modality, vectors=vectors)
    fitted = training.fit(table, parsed, seed, table.frame["label"].notna())
    config = {**fitted.config(), "missing": table.missing}
    fitted.save(predictor_dir(settings, view, method), {"view": view, "modality": modality})
    return table.frame, fitted.predict(table.frame), config


# A dataset with this many measured models or fewer (and at least fewshot.MIN_SHARED) is in the
# few-shot regime: its runs re-weight the known datasets (co-performance) for its untried models.
FEW_SHOT_MAX = 20
DEFAULT_METHOD = "xgb+none"  # when `tg evaluate` has recorded no choice for the modality


def with_shots(
    method: str, frame: Any, values: np.ndarray, keep: set[str] | None
) -> tuple[np.ndarray, list[str]]:
    """The few-shot ranking (`readback.fewshot`, measured by `tg evaluate --shots`) for each dataset
    in the few-shot regime: its zero-shot scores combined with the history of the datasets whose
    accuracies co-vary with its measured ones; power and weight chosen nested on the other datasets
    (weight 0 keeps the zero-shot scores). Returns the scores and one note per dataset changed."""
    from transfergraph.readback import fewshot

    out = values.copy()
    notes: list[str] = []
    everything = frame.pivot_table(index="model", columns="dataset", values="label", aggfunc="mean")
    for dataset, part in frame.groupby("dataset"):
        if keep is not None and dataset not in keep:
            continue
        revealed = part.set_index("model")["label"].dropna()
        if not fewshot.MIN_SHARED <= len(revealed) <= FEW_SHOT_MAX or len(revealed) == len(part):
            continue
        labels = everything.drop(columns=[dataset])
        bases, _ = fewshot.training_bases(method, frame[frame["dataset"] != dataset], labels)
        chosen, _ = fewshot.choose_settings(labels, len(revealed), bases=bases, weights=fewshot.WEIGHTS)
        if chosen is None or chosen.weight == 0:
            continue
        base = pd.Series(values[part.index], index=part["model"].to_numpy())
        scored = fewshot.few_shot_scores(base, labels, revealed, power=chosen.power, weight=chosen.weight)
        out[part.index] = scored.reindex(part["model"].to_numpy()).to_numpy(float)
        notes.append(
            f"{dataset}: few-shot from {len(revealed)} runs (power {chosen.power}, weight {chosen.weight:g})"
        )
    return out, notes


def chosen_method(drv: neo4j.Driver, modality: str) -> str:
    """What `tg evaluate` found best for the modality, else DEFAULT_METHOD."""
    rows = run(drv, "readback/choice", modality=modality)
    return str(rows[0]["method"]) if rows else DEFAULT_METHOD


def predict(
    drv: neo4j.Driver, settings: Settings, view: str, method: str | None, *, seed: int = 0,
    datasets: list[str] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Replace (view, method)'s PREDICTED edges; one summary row per modality. `method` None: per
    modality, the one `tg evaluate` recorded as best (else DEFAULT_METHOD).

    With `datasets` (a refresh after new facts about them: a dataset added, scored or given runs),
    only their part of the view is re-derived and only their predictions are replaced; the model is
    still fitted on the whole modality, so its settings see the same training rows as a full run."""
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
        frame, values, config = scores_for(drv, settings, view, modality, method_here, seed)
        keep = None if not datasets else set(datasets)
        values, shots = with_shots(method_here, frame, values, keep)
        runs_now = run(drv, "predict/run_count", modality=modality)[0]["runs"]
        rows = [
            {"model": m, "dataset": d, "score": float(s)}
            for m, d, s in zip(frame["model"], frame["dataset"], values, strict=True)
            if not np.isnan(s) and (keep is None or d in keep)
        ]
        removed = run(
            drv, "predict/clear", view=view, method=method_here, modality=modality,
            datasets=None if keep is None else sorted(keep),
        )[0]["removed"]  # fmt: skip
        written = 0
        for i in range(0, len(rows), 5000):
            written += run(
                drv, "predict/write", rows=rows[i : i + 5000], view=view, method=method_here, runs=runs_now
            )[0]["written"]
        out.append(
            {"view": view, "method": method_here, "modality": modality, "predicted": written,
             "replaced": removed, "missing_features": ", ".join(config.get("missing", [])) or "-",
             "few_shot": len(shots), "notes": shots}
        )  # fmt: skip
    return out
