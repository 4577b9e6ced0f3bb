"""Every closed set of choices, as a StrEnum shared by the library and the CLI.

Typer shows an enum's values in `--help` and refuses anything else with its own one-line usage
error; the library takes the same enums, so a value is checked once, where it enters.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    """Output of every command that prints rows."""

    table = "table"
    json = "json"
    csv = "csv"


class Modality(StrEnum):
    image = "image"
    text = "text"


class RunRegime(StrEnum):
    """Which fine-tuning runs make accuracy edges: full fine-tuning, LoRA, or both."""

    full = "full"
    lora = "lora"
    all = "all"


class Aggregate(StrEnum):
    """How repeated runs of one (model, dataset) pair become one edge (`none`: one edge per run)."""

    mean = "mean"
    max = "max"
    none = "none"


class EmbedMethod(StrEnum):
    """Node embeddings: GDS Node2Vec in the server, GraphSAGE / GAT in PyTorch Geometric."""

    node2vec = "node2vec"
    node2vec_weighted = "node2vec-weighted"
    graphsage = "graphsage"
    gat = "gat"

    @property
    def needs_torch(self) -> bool:
        return self in (EmbedMethod.graphsage, EmbedMethod.gat)


class Regressor(StrEnum):
    """What turns a (model, dataset) feature row into a predicted score."""

    lr = "lr"
    rf = "rf"
    xgb = "xgb"
    xgb_rank = "xgb-rank"


# `tg graph build --threshold NAME=VALUE`: name -> (low, high) allowed values; thresholds on normalised
# accuracy and similarity are in [0, 1], transferability thresholds are z-scores.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "accuracy_pos": (0.0, 1.0),
    "accuracy_neg": (0.0, 1.0),
    "transfer_pos": (-10.0, 10.0),
    "transfer_neg": (-10.0, 10.0),
    "similarity": (0.0, 1.0),
}
