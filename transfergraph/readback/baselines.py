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
# Training-free rankings of our own, reported as methods beside the learned ones.
PROFILE_HISTORY = "logme-profile-history"
OURS = (PROFILE_HISTORY,)
PROFILE_POWERS = (1, 2, 4)
MIN_PROFILE_MODELS = 10  # models with both a LogME score and a label before a correlation counts


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


def _zscore(values: pd.Series) -> pd.Series:
    sd = values.std()
    return (values - values.mean()) / sd if sd and not math.isnan(sd) else values * 0.0


def profile_correlations(
    labels: pd.DataFrame, signal: pd.Series, min_models: int = MIN_PROFILE_MODELS
) -> pd.Series:
    """Per known dataset (column of `labels`), the Pearson correlation of its accuracies with `signal`
    over the models both have, when they share at least `min_models` and neither is constant."""
    aligned = signal.reindex(labels.index)
    found = {}
    for dataset in labels.columns:
        both = labels[dataset].notna() & aligned.notna()
        x, s = labels.loc[both, dataset], aligned[both]
        # constant values have no correlation (floating-point noise would give them a tiny one)
        if both.sum() >= min_models and x.nunique() > 1 and s.nunique() > 1:
            r = metrics.pearson(x, s)
            if not math.isnan(r):
                found[dataset] = r
    return pd.Series(found, dtype=float)


def profile_weights(
    labels: pd.DataFrame, signal: pd.Series, power: int, min_models: int = MIN_PROFILE_MODELS
) -> pd.Series:
    """correlation**power per known dataset (see `profile_correlations`), positive ones only; empty
    when none qualifies."""
    r = profile_correlations(labels, signal, min_models)
    return r[r > 0] ** power


def weighted_history(labels: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Each model's weighted mean label over the weighted datasets (NaN: no label on any of them)."""
    if weights.empty:
        return pd.Series(np.nan, index=labels.index)
    known = labels[weights.index]
    return (known * weights).sum(axis=1) / (known.notna() * weights).sum(axis=1).replace(0.0, np.nan)


def profile_history(
    labels: pd.DataFrame, logme: pd.Series, power: int, min_models: int = MIN_PROFILE_MODELS
) -> pd.Series:
    """Each model's history on the known datasets (columns of `labels`, models as rows), weighted by
    how well each dataset's accuracies follow the target's LogME scores (correlation**power, kept if
    positive): LogME is computed without fine-tuning on the target, so this stays zero-shot. The
    few-shot ranking (`fewshot`) passes the target's revealed accuracies as the signal instead."""
    return weighted_history(labels, profile_weights(labels, logme, power, min_models))


def _rows(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    return frame[frame["dataset"] == dataset].set_index("model")


def _history_z(rows: pd.DataFrame, tau_col: str) -> pd.Series:
    return _zscore(pd.to_numeric(rows[tau_col], errors="coerce"))


def _profile_z(rows: pd.DataFrame, labels: pd.DataFrame, dataset: str, power: int) -> pd.Series | None:
    """z(LogME-profile history) of one dataset's models, its own labels left out; None when no known
    dataset follows its LogME profile."""
    logme = pd.to_numeric(rows["logme"], errors="coerce")
    known = labels.drop(columns=[dataset], errors="ignore").reindex(rows.index)
    profile = profile_history(known, logme, power)
    return _zscore(profile) if profile.notna().any() else None


def _combined(hist_z: pd.Series, profile_z: pd.Series | None) -> pd.Series:
    """A model without history on a profiled dataset adds 0 to its similarity history."""
    return hist_z if profile_z is None else hist_z + profile_z.fillna(0.0)


def _profile_scores(
    frame: pd.DataFrame, labels: pd.DataFrame, dataset: str, tau_col: str, power: int
) -> pd.Series:
    """z(similarity history) + z(LogME-profile history) for one dataset's rows, by model; the
    dataset's own labels are left out."""
    rows = _rows(frame, dataset)
    return _combined(_history_z(rows, tau_col), _profile_z(rows, labels, dataset, power))


def choose_profile(train_rows: pd.DataFrame, labels: pd.DataFrame) -> tuple[str, int] | None:
    """(temperature column, power) with the best mean Pearson over the training datasets that have
    LogME scores, each scored with its own labels left out (nested: the target is not among them).
    None when no training dataset has enough LogME scores to validate on."""
    scored = train_rows.groupby("dataset")["logme"].count()
    validation = [str(d) for d, n in scored.items() if n >= MIN_PROFILE_MODELS]
    if not validation:
        return None
    rows = {d: _rows(train_rows, d) for d in validation}
    # each (dataset, power) profile once, not once per temperature
    profiles = {(d, p): _profile_z(rows[d], labels, d, p) for d in validation for p in PROFILE_POWERS}
    best, best_score = None, -math.inf
    for col in SIM_HIST:
        hists = {d: _history_z(rows[d], col) for d in validation}
        for power in PROFILE_POWERS:
            found = []
            for d in validation:
                score = _combined(hists[d], profiles[(d, power)])
                actual = labels[d].reindex(score.index)
                ok = actual.notna() & score.notna()
                r = metrics.pearson(actual[ok], score[ok])
                if not math.isnan(r):
                    found.append(r)
            if found and float(np.mean(found)) > best_score:
                best, best_score = (col, power), float(np.mean(found))
    return best


def logme_profile_scores(
    frame: pd.DataFrame, train_rows: pd.DataFrame, target_rows: pd.DataFrame
) -> tuple[np.ndarray | None, str]:
    """The LogME-profile history (see `profile_history`) beside the similarity history, for every row
    of `target_rows`, each dataset scored without its own labels; settings chosen nested."""
    if frame["logme"].isna().all():
        return None, "no LogME scores"
    labels = train_rows.pivot_table(index="model", columns="dataset", values="label", aggfunc="mean")
    chosen = choose_profile(train_rows, labels)
    if chosen is None:
        return None, "no training dataset with LogME scores to choose its settings on"
    col, power = chosen
    out = pd.Series(np.nan, index=target_rows.index)
    for dataset, part in target_rows.groupby("dataset"):
        by_model = _profile_scores(frame, labels, str(dataset), col, power)
        out.loc[part.index] = part["model"].map(by_model).to_numpy(float)
    return out.to_numpy(float), f"tau={col.removeprefix('sim_hist_')}, power={power} (nested)"


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
    elif name == PROFILE_HISTORY:
        if "dataset similarity" in table.missing:
            return None, "no dataset similarity"
        return logme_profile_scores(frame, train_rows, target_rows)
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
