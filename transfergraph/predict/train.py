"""Train a method on a view's training rows and score rows to predict (pure: frames in, scores out)."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from transfergraph.predict import regressors
from transfergraph.predict.features import Encoder, FeatureTable
from transfergraph.predict.regressors import Method

BASE_GROUPS = ("graph", "model", "dataset", "transfer")


@dataclass
class Fitted:
    """A fitted method: estimator, the encoder fitted on its training rows, and its configuration."""

    method: Method
    seed: int
    encoder: Encoder
    estimator: Any
    groups: tuple[str, ...]
    n_train: int

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict(self.encoder.transform(rows)), dtype=float)

    def config(self) -> dict[str, Any]:
        return {
            "method": self.method.name,
            "regressor": self.method.regressor.value,
            "embedding": self.method.embedding.value if self.method.embedding else None,
            "embedding_features": "concatenated vectors" if self.method.concat else "cosine",
            "seed": self.seed,
            "feature_groups": list(self.groups),
            "features": self.encoder.names,
            "n_train_rows": self.n_train,
            "estimator": repr(self.estimator),
        }

    def save(self, folder: Path, extra: dict[str, Any]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps({**self.config(), **extra}, indent=2, default=str))
        with (folder / "model.pkl").open("wb") as f:
            pickle.dump(self, f)
        return folder


def fit(table: FeatureTable, method: Method, seed: int, train: pd.Series) -> Fitted:
    """Fit on the rows selected by `train` (rows with a label); encoders see only those rows."""
    groups = BASE_GROUPS + method.feature_groups
    rows = table.frame[train & table.frame["label"].notna()]
    if rows.empty:
        from transfergraph.errors import TGError

        raise TGError("no training rows: the view has no fine-tuning runs for this modality")
    num, cat = table.columns(groups)
    encoder = Encoder(num, cat).fit(rows)
    est = regressors.fit(
        method.regressor,
        seed,
        encoder.transform(rows),
        rows["label"].to_numpy(float),
        rows["dataset"].to_numpy(),
    )
    return Fitted(method, seed, encoder, est, groups, len(rows))
