"""Learned rankers, `REGRESSOR+EMBEDDING`: a regressor (`lr`, `rf`, `xgb`, `xgb-rank`) on the view's
features, with a graph embedding's link score (`+node2vec`, ...) or none (`+none`). sklearn and
xgboost are imported inside functions only, so `tg recommend` (and `import transfergraph.cli`) never
loads them. Hyper-parameters are fixed in advance (never tuned on test targets).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from transfergraph.choices import EmbedMethod, Regressor
from transfergraph.errors import MissingExtra, TGError
from transfergraph.features.table import Encoder, FeatureTable
from transfergraph.rankers.base import Ranker

CONCAT = "/concat"


@dataclass(frozen=True)
class Method:
    """REGRESSOR+EMBEDDING. An embedding enters as one feature, the cosine of the model's and the
    dataset's vectors (a link score); `+EMBEDDING/concat` feeds both raw vectors instead, as the paper
    did (measured: the dataset vectors of a near-complete similarity clique are nearly identical, and
    the regressor keys on their small differences, which do not carry over to a held-out target)."""

    regressor: Regressor
    embedding: EmbedMethod | None
    concat: bool = False

    @property
    def name(self) -> str:
        emb = self.embedding.value if self.embedding else "none"
        return f"{self.regressor.value}+{emb}{CONCAT if self.concat and self.embedding else ''}"

    @property
    def feature_groups(self) -> tuple[str, ...]:
        if self.embedding is None:
            return ()
        return ("embedding-concat",) if self.concat else ("embedding",)

    @classmethod
    def parse(cls, text: str) -> Method:
        concat = text.endswith(CONCAT)
        reg, sep, emb = text.removesuffix(CONCAT).partition("+")
        emb = emb or "none"
        try:
            regressor = Regressor(reg)
            embedding = None if emb == "none" else EmbedMethod(emb)
        except ValueError:
            regs = ", ".join(r.value for r in Regressor)
            embs = ", ".join([*(e.value for e in EmbedMethod), "none"])
            raise TGError(
                f"method {text!r}: expected REGRESSOR+EMBEDDING with REGRESSOR one of {regs} "
                f"and EMBEDDING one of {embs}"
            ) from None
        if not sep and text != reg:
            raise TGError(f"method {text!r}: expected REGRESSOR+EMBEDDING")
        if concat and embedding is None:
            raise TGError(f"method {text!r}: /concat needs an embedding")
        return cls(regressor, embedding, concat)


def _need(package: str) -> None:
    import importlib.util

    if importlib.util.find_spec(package) is None:
        raise MissingExtra(package, "ml", "training a regressor")


def make(regressor: Regressor, seed: int) -> Any:
    """An unfitted estimator with the fixed hyper-parameters of this regressor."""
    if regressor is Regressor.lr:
        _need("sklearn")
        from sklearn.linear_model import Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # Standardised ridge with a small fixed penalty: plain least squares on one-hot
        # categories and collinear history features is ill-conditioned.
        return make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    if regressor is Regressor.rf:
        _need("sklearn")
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(
            n_estimators=150, max_features=0.33, min_samples_leaf=3, random_state=seed, n_jobs=2
        )
    _need("xgboost")
    import xgboost as xgb

    common: dict[str, Any] = {
        "n_estimators": 300, "max_depth": 4, "learning_rate": 0.05, "subsample": 0.8,
        "colsample_bytree": 0.8, "min_child_weight": 3, "random_state": seed, "n_jobs": 2,
        "tree_method": "hist",
    }  # fmt: skip
    if regressor is Regressor.xgb_rank:
        return xgb.XGBRanker(objective="rank:pairwise", **common)
    return xgb.XGBRegressor(objective="reg:squarederror", **common)


def fit_estimator(regressor: Regressor, seed: int, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
    """Fit on training rows; the ranker is grouped by dataset (rows must be sorted by group)."""
    est = make(regressor, seed)
    if regressor is Regressor.xgb_rank:
        _, qid = np.unique(groups, return_inverse=True)
        order = np.argsort(qid, kind="stable")
        est.fit(x[order], y[order], qid=qid[order])
    else:
        est.fit(x, y)
    return est


BASE_GROUPS = ("graph", "model", "dataset", "transfer")


@dataclass
class FittedRegressor:
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


def fit_method(table: FeatureTable, method: Method, seed: int, train: pd.Series) -> FittedRegressor:
    """Fit on the rows selected by `train` (rows with a label); encoders see only those rows."""
    groups = BASE_GROUPS + method.feature_groups
    rows = table.frame[train & table.frame["label"].notna()]
    if rows.empty:
        raise TGError("no training rows: the view has no fine-tuning runs for this modality")
    num, cat = table.columns(groups)
    encoder = Encoder(num, cat).fit(rows)
    est = fit_estimator(
        method.regressor,
        seed,
        encoder.transform(rows),
        rows["label"].to_numpy(float),
        rows["dataset"].to_numpy(),
    )
    return FittedRegressor(method, seed, encoder, est, groups, len(rows))


class Learned(Ranker):
    """A regressor trained on the training rows' features to predict the normalised accuracy."""

    kind = "method"
    seeded = True

    def __init__(self, method: Method):
        self.method = method
        self.name = method.name
        self.embedding = method.embedding

    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> Learned:
        self.fitted = fit_method(table, self.method, seed, train)
        return self

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        return self.fitted.predict(rows)
