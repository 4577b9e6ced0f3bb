"""Regressors and method names. sklearn / xgboost are imported inside functions only, so
`tg recommend` (and `import transfergraph.cli`) never loads them.

A method name is `REGRESSOR+EMBEDDING`: a `Regressor` and an `EmbedMethod` or `none`
(`xgb+node2vec`, `rf+none`). Hyper-parameters are fixed in advance (never tuned on test targets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from transfergraph.choices import EmbedMethod, Regressor
from transfergraph.errors import MissingExtra, TGError

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


def fit(regressor: Regressor, seed: int, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
    """Fit on training rows; the ranker is grouped by dataset (rows must be sorted by group)."""
    est = make(regressor, seed)
    if regressor is Regressor.xgb_rank:
        _, qid = np.unique(groups, return_inverse=True)
        order = np.argsort(qid, kind="stable")
        est.fit(x[order], y[order], qid=qid[order])
    else:
        est.fit(x, y)
    return est
