"""Training-free and simple baselines, scored on the same target rows as the methods.

Each returns scores for `target_rows` (NaN where the baseline has no data for a model); a
baseline whose data the zoo lacks altogether is reported as missing, never as zero.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from transfergraph.predict.features import SIM_HIST, TAUS, Encoder, FeatureTable
from transfergraph.readback import metrics

BASELINES = (
    "model-prior", "similarity-history", "logme", "reg-h-score", "metadata-lr", "best-source-accuracy",
)  # fmt: skip


def choose_tau(train: pd.DataFrame) -> str:
    """The similarity-history temperature with the best mean Pearson over the training datasets.

    Nested: each training row's history already leaves its own dataset out, and the target's rows
    are not in `train`, so the target never influences the choice.
    """
    best, best_score = SIM_HIST[len(TAUS) // 2], -math.inf
    for col in SIM_HIST:
        scores = []
        for _, part in train.groupby("dataset"):
            ok = part[col].notna() & part["label"].notna()
            if ok.sum() > 2:
                r = metrics.pearson(part.loc[ok, "label"], part.loc[ok, col])
                if not math.isnan(r):
                    scores.append(r)
        if scores and float(np.mean(scores)) > best_score:
            best, best_score = col, float(np.mean(scores))
    return best


def metadata_lr(train: pd.DataFrame, target_rows: pd.DataFrame) -> np.ndarray:
    """The paper's "Amazon LR": linear regression on model metadata and dataset features only."""
    from sklearn.linear_model import LinearRegression

    from transfergraph.predict.features import DATASET_NUM, MODEL_CAT, MODEL_NUM

    enc = Encoder(MODEL_NUM + DATASET_NUM, MODEL_CAT).fit(train)
    est = LinearRegression().fit(enc.transform(train), train["label"].to_numpy(float))
    return np.asarray(est.predict(enc.transform(target_rows)), dtype=float)


def scores(
    name: str, table: FeatureTable, train: pd.Series, target_rows: pd.DataFrame
) -> tuple[np.ndarray | None, str]:
    """(scores, note) of a baseline; scores None when the zoo has no data for it at all."""
    frame = table.frame
    train_rows = frame[train & frame["label"].notna()]
    if name == "model-prior":
        col, note = "prior", ""
    elif name == "similarity-history":
        if "dataset similarity" in table.missing:
            return None, "no dataset similarity"
        col = choose_tau(train_rows)
        note = f"tau={col.removeprefix('sim_hist_')} (nested)"
    elif name == "logme":
        col, note = "logme", ""
    elif name == "reg-h-score":
        col, note = "reg_h", ""
    elif name == "best-source-accuracy":
        col, note = "source_accuracy", ""
    elif name == "metadata-lr":
        if "model metadata" in table.missing or train_rows.empty:
            return None, "no model metadata"
        return metadata_lr(train_rows, target_rows), ""
    else:
        raise ValueError(f"unknown baseline {name!r}")
    values = pd.to_numeric(target_rows[col], errors="coerce").to_numpy(float)
    if np.isnan(values).all():
        return None, f"no {name} data"
    return values, note
