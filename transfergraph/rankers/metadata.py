"""The paper's "Amazon LR" baseline: linear regression on model metadata and dataset features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transfergraph.errors import MissingInput
from transfergraph.features.table import DATASET_NUM, MODEL_CAT, MODEL_NUM, Encoder, FeatureTable
from transfergraph.rankers.base import Ranker, training_rows


class MetadataLR(Ranker):
    name = "metadata-lr"
    fallback = "model-prior"

    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> MetadataLR:
        from sklearn.linear_model import LinearRegression

        rows = training_rows(table, train)
        if "model metadata" in table.missing or rows.empty:
            raise MissingInput("no model metadata")
        self.encoder = Encoder(MODEL_NUM + DATASET_NUM, MODEL_CAT).fit(rows)
        self.estimator = LinearRegression().fit(self.encoder.transform(rows), rows["label"].to_numpy(float))
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict(self.encoder.transform(rows)), dtype=float)
