"""Baselines that are one column of the feature table: the model prior, LogME, Reg-H-Score and the
model card's source accuracy. Nothing to learn; a zoo without the column's data is a MissingInput."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transfergraph.errors import MissingInput
from transfergraph.features.table import FeatureTable
from transfergraph.rankers.base import Ranker


class ColumnRanker(Ranker):
    """Scores a row by one feature column (the view's history columns leave the row's own dataset
    out, so a training dataset's column is an honest score of it)."""

    def __init__(self, name: str, column: str, fallback: str | None = "model-prior"):
        self.name = name
        self.column = column
        self.fallback = fallback

    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> ColumnRanker:
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        values = pd.to_numeric(rows[self.column], errors="coerce").to_numpy(float)
        if np.isnan(values).all():
            raise MissingInput(f"no {self.name} data")
        return values

    def training_scores(self, train_frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame | None:
        if not train_frame[self.column].notna().any():
            return None
        return train_frame.pivot_table(index="model", columns="dataset", values=self.column, aggfunc="mean")


def model_prior() -> Ranker:
    """Each model's mean normalised accuracy on the other datasets of the view."""
    return ColumnRanker("model-prior", "prior", fallback=None)


def logme() -> Ranker:
    return ColumnRanker("logme", "logme")


def reg_h_score() -> Ranker:
    return ColumnRanker("reg-h-score", "reg_h")


def best_source_accuracy() -> Ranker:
    """The model card's accuracy on its own pre-training dataset."""
    return ColumnRanker("best-source-accuracy", "source_accuracy")
