"""The similarity-weighted history: each model's mean normalised accuracy on the other datasets,
weighted by their similarity to the target at a temperature chosen nested on the training datasets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from transfergraph.errors import MissingInput
from transfergraph.features.table import SIM_HIST, TAUS, FeatureTable
from transfergraph.numeric import pearson
from transfergraph.rankers.base import training_rows
from transfergraph.rankers.columns import ColumnRanker


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
                r = pearson(part.loc[ok, "label"], part.loc[ok, col])
                if not math.isnan(r):
                    scores.append(r)
        if scores and float(np.mean(scores)) > best_score:
            best, best_score = col, float(np.mean(scores))
    return best


class SimilarityHistory(ColumnRanker):
    """The history column at the temperature `fit` chooses on the training rows."""

    def __init__(self) -> None:
        super().__init__("similarity-history", SIM_HIST[len(TAUS) // 2])

    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> SimilarityHistory:
        if "dataset similarity" in table.missing:
            raise MissingInput("no dataset similarity")
        self.column = choose_tau(training_rows(table, train))
        self.note = f"tau={self.column.removeprefix('sim_hist_')} (nested)"
        return self

    def training_scores(self, train_frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame | None:
        column = choose_tau(train_frame[train_frame["label"].notna()])
        return train_frame.pivot_table(index="model", columns="dataset", values=column, aggfunc="mean")
