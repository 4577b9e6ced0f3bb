"""The one interface every way of ranking models shares (scikit-learn's estimator pattern).

A ranker is fitted on a view's feature table and the mask of its training rows, then scores rows
of that table (or rows merged from it). A baseline is a ranker like any other (`DummyRegressor`),
so `tg predict` and `tg evaluate` call every ranker the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

import numpy as np
import pandas as pd

from transfergraph.choices import EmbedMethod
from transfergraph.features.table import FeatureTable

Kind = Literal["baseline", "method"]


class Ranker(ABC):
    """Fit on training rows, then score rows. Subclasses set `name` and `kind`.

    `seeded`: the scores depend on the seed (learned rankers); the others are scored once.
    `embedding`: the graph embedding whose vectors the feature table must carry, if any.
    `note`: what `fit` chose (a temperature, a power...), for the evaluation's notes.
    `fallback`: the ranking that needs less, used by `tg predict` when this one's inputs are missing."""

    name: str
    kind: Kind = "baseline"
    seeded: bool = False
    embedding: EmbedMethod | None = None
    note: str = ""
    fallback: str | None = None

    @abstractmethod
    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> Ranker:
        """Learn from the rows where `train` is true and a label exists; raise MissingInput when the
        zoo lacks this ranker's inputs. Returns self."""

    @abstractmethod
    def score(self, rows: pd.DataFrame) -> np.ndarray:
        """One score per row (higher = better, NaN = cannot score this model)."""

    def training_scores(self, train_frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame | None:
        """Models x training datasets: this ranking's scores of each training dataset with that
        dataset's own labels left out (the few-shot weight is validated on them). None when the
        ranking has no honest scores of its training datasets (a learned one has seen their labels)."""
        return None


def training_rows(table: FeatureTable, train: pd.Series) -> pd.DataFrame:
    """The rows a ranker may learn from: selected by `train` and labelled."""
    frame = table.frame
    return frame[train & frame["label"].notna()]
