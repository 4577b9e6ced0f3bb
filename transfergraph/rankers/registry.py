"""The registry of rankers: every way of ranking models for a dataset, behind `base.Ranker`.

`get(name)` returns an unfitted ranker: a registered name (the baselines, then our training-free
rankings), or `REGRESSOR+EMBEDDING` for a learned one (`learned.Method`). Adding a ranker is one
module with a `Ranker` subclass and one line in `REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable

from transfergraph.errors import TGError
from transfergraph.rankers import columns, history, metadata, profile
from transfergraph.rankers.base import Kind, Ranker

# name -> factory, in the order the evaluation lists them: baselines first, then ours.
REGISTRY: dict[str, Callable[[], Ranker]] = {
    "model-prior": columns.model_prior,
    "similarity-history": history.SimilarityHistory,
    "logme": columns.logme,
    "reg-h-score": columns.reg_h_score,
    "metadata-lr": metadata.MetadataLR,
    "best-source-accuracy": columns.best_source_accuracy,
    "logme-profile-history": profile.LogMEProfileHistory,
}


def _kinds() -> dict[str, Kind]:
    return {name: factory().kind for name, factory in REGISTRY.items()}


BASELINES = tuple(n for n, k in _kinds().items() if k == "baseline")
OURS = tuple(n for n, k in _kinds().items() if k == "method")  # training-free rankings of our own


def names() -> list[str]:
    """Every registered name, plus the learned family's pattern."""
    return [*REGISTRY, "REGRESSOR+EMBEDDING"]


def get(name: str) -> Ranker:
    """An unfitted ranker by name; an unknown name is one line listing what exists."""
    if name in REGISTRY:
        return REGISTRY[name]()
    from transfergraph.rankers.learned import Learned, Method

    try:
        return Learned(Method.parse(name))
    except TGError as e:
        raise TGError(f"{e}; or one of {', '.join(REGISTRY)}") from None
