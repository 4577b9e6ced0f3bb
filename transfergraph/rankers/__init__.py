"""Every way of ranking models for a dataset, behind one interface (`base.Ranker`) and one registry
(`registry`): this package re-exports them."""

from transfergraph.rankers.base import Kind, Ranker
from transfergraph.rankers.registry import BASELINES, OURS, REGISTRY, get, names

__all__ = ["BASELINES", "OURS", "REGISTRY", "Kind", "Ranker", "get", "names"]
