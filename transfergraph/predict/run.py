"""`tg predict`: train on a view's training rows and write PREDICTED for every pair of the modality."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import neo4j
import numpy as np

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


DEFAULT_METHOD = "xgb+none"  # when `tg evaluate` has recorded no choice for the modality


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
        runs_now = run(drv, "predict/run_count", modality=modality)[0]["runs"]
        keep = None if not datasets else set(datasets)
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
             "replaced": removed, "missing_features": ", ".join(config.get("missing", [])) or "-"}
        )  # fmt: skip
    return out
