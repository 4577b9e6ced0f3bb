"""`logme-profile-history`, ours and training-free: each model's history on the known datasets,
weighted by how well each dataset's accuracies follow the target's LogME scores (LogME needs no
fine-tuning on the target, so this stays zero-shot), averaged in z-scores with the similarity
history. Its temperature and power are chosen nested on the training datasets with LogME scores.
The few-shot ranking (`fewshot`) reuses the same weighting with the target's revealed accuracies.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from transfergraph.errors import MissingInput
from transfergraph.features.table import SIM_HIST, FeatureTable
from transfergraph.numeric import pearson, zscore
from transfergraph.rankers.base import Ranker, training_rows

PROFILE_POWERS = (1, 2, 4)
MIN_PROFILE_MODELS = 10  # models with both a LogME score and a label before a correlation counts


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
            r = pearson(x, s)
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
    return zscore(pd.to_numeric(rows[tau_col], errors="coerce"))


def _profile_z(rows: pd.DataFrame, labels: pd.DataFrame, dataset: str, power: int) -> pd.Series | None:
    """z(LogME-profile history) of one dataset's models, its own labels left out; None when no known
    dataset follows its LogME profile."""
    logme = pd.to_numeric(rows["logme"], errors="coerce")
    known = labels.drop(columns=[dataset], errors="ignore").reindex(rows.index)
    profile = profile_history(known, logme, power)
    return zscore(profile) if profile.notna().any() else None


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
                r = pearson(actual[ok], score[ok])
                if not math.isnan(r):
                    found.append(r)
            if found and float(np.mean(found)) > best_score:
                best, best_score = (col, power), float(np.mean(found))
    return best


class LogMEProfileHistory(Ranker):
    name = "logme-profile-history"
    kind = "method"
    fallback = "similarity-history"

    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> LogMEProfileHistory:
        frame = table.frame
        if "dataset similarity" in table.missing:
            raise MissingInput("no dataset similarity")
        if frame["logme"].isna().all():
            raise MissingInput("no LogME scores")
        train_rows = training_rows(table, train)
        self.labels = train_rows.pivot_table(index="model", columns="dataset", values="label", aggfunc="mean")
        chosen = choose_profile(train_rows, self.labels)
        if chosen is None:
            raise MissingInput("no training dataset with LogME scores to choose its settings on")
        self.column, self.power = chosen
        self.note = f"tau={self.column.removeprefix('sim_hist_')}, power={self.power} (nested)"
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        """Each dataset of `rows` scored without its own labels."""
        out = pd.Series(np.nan, index=rows.index)
        for dataset, part in rows.groupby("dataset"):
            by_model = _profile_scores(part, self.labels, str(dataset), self.column, self.power)
            out.loc[part.index] = part["model"].map(by_model).to_numpy(float)
        return out.to_numpy(float)

    def training_scores(self, train_frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame | None:
        if not train_frame["logme"].notna().any():
            return None
        chosen = choose_profile(train_frame[train_frame["label"].notna()], labels)
        if chosen is None:
            return None
        col, power = chosen
        datasets = sorted(train_frame["dataset"].unique())
        return pd.DataFrame({d: _profile_scores(train_frame, labels, d, col, power) for d in datasets})
