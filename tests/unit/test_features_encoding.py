"""Feature assembly and encoders (pure: frames in, frames out)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from transfergraph.errors import TGError
from transfergraph.features.table import SIM_HIST, TAUS, Encoder, assemble
from transfergraph.rankers.learned import Method


def graph_row(model: str, dataset: str, label: float | None) -> dict:
    return {
        "model": model, "dataset": dataset, "prior": 0.5, "n_tried": 2, "sim_hist": [0.4] * len(TAUS),
        "nearest_acc": 0.6, "near3_acc": 0.55, "nearest_sim": 0.9, "source_sim": None, "label": label,
    }  # fmt: skip


def test_assemble_joins_and_reports_missing_groups() -> None:
    rows = [graph_row("m1", "a", 1.0), graph_row("m2", "a", 0.0), graph_row("m1", "t", None)]
    models = [
        {"model": "m1", "num_parameters": 1000, "memory_bytes": None, "input_size": 224, "source_accuracy": 0.8,  # noqa: E501
         "model_type": "vit", "architecture": "ViT", "source_dataset": "imagenet"},
        {"model": "m2", "num_parameters": None, "memory_bytes": None, "input_size": None, "source_accuracy": None,  # noqa: E501
         "model_type": None, "architecture": None, "source_dataset": None},
    ]  # fmt: skip
    datasets = [{"dataset": "a", "num_samples": 100, "num_classes": 10}, {"dataset": "t", "num_samples": None,
                "num_classes": None}]  # fmt: skip
    transfer = [{"model": "m1", "dataset": "t", "metric": "LogME", "score": 1.5, "z": 0.3}]
    table = assemble(rows, models, datasets, transfer, {("Model", "m1"): [1.0, 2.0]})
    f = table.frame
    assert list(f["dataset"]) == ["a", "a", "t"]
    assert f.loc[0, "log_parameters"] == pytest.approx(3.0)
    assert list(f[SIM_HIST[0]]) == [0.4, 0.4, 0.4]
    assert f.loc[2, "logme"] == 1.5 and math.isnan(f.loc[0, "logme"])
    assert table.missing == ["Reg-H-Score"]
    assert table.embedding_cols == ["m_e0", "m_e1", "d_e0", "d_e1"]
    assert math.isnan(f.loc[1, "m_e0"]) and f.loc[0, "m_e1"] == 2.0


def test_encoder_is_fitted_on_training_rows_only() -> None:
    train = pd.DataFrame({"x": [1.0, 3.0, None, 5.0], "c": ["a", "a", "a", "b"]})
    test = pd.DataFrame({"x": [None, 100.0], "c": ["b", "z"]})
    enc = Encoder(["x"], ["c"], min_count=2).fit(train)
    assert enc.fills["x"] == 3.0  # the training median, not moved by the test row's 100
    assert enc.names == ["x", "x_missing", "c=a"]  # 'b' seen once in training: no column; 'z' never
    out = enc.transform(test)
    np.testing.assert_array_equal(out, [[3.0, 1.0, 0.0], [100.0, 0.0, 0.0]])


def test_method_names() -> None:
    assert Method.parse("xgb+node2vec").name == "xgb+node2vec"
    assert Method.parse("xgb-rank+none").embedding is None
    assert Method.parse("rf").name == "rf+none"
    with pytest.raises(TGError, match="REGRESSOR"):
        Method.parse("svm+none")
    with pytest.raises(TGError, match="EMBEDDING"):
        Method.parse("xgb+word2vec")
    assert Method.parse("xgb+gat/concat").concat and Method.parse("xgb+gat/concat").name == "xgb+gat/concat"
    with pytest.raises(TGError, match="concat"):
        Method.parse("xgb+none/concat")


def test_embedding_enters_as_a_cosine_or_as_both_vectors() -> None:
    rows = [graph_row("m1", "a", 1.0), graph_row("m2", "a", 0.0)]
    models = [{"model": m, "num_parameters": None, "memory_bytes": None, "input_size": None,
               "source_accuracy": None, "model_type": None, "architecture": None, "source_dataset": None}
              for m in ("m1", "m2")]  # fmt: skip
    datasets = [{"dataset": "a", "num_samples": 100, "num_classes": 10}]
    vectors = {("Model", "m1"): [1.0, 0.0], ("Model", "m2"): [1.0, 1.0], ("Dataset", "a"): [2.0, 0.0]}
    table = assemble(rows, models, datasets, [], vectors)
    cosine = table.frame.set_index("model")["embedding_cosine"]
    assert cosine["m1"] == pytest.approx(1.0) and cosine["m2"] == pytest.approx(1 / math.sqrt(2))
    assert table.columns(("embedding",))[0] == ["embedding_cosine"]
    assert table.columns(("embedding-concat",))[0] == ["m_e0", "m_e1", "d_e0", "d_e1"]
    assert Method.parse("rf+node2vec").feature_groups == ("embedding",)
    assert Method.parse("rf+node2vec/concat").feature_groups == ("embedding-concat",)
