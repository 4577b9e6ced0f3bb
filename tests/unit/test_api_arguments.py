"""The facade checks its arguments at the door: a wrong type or value is a ParameterError naming the
parameter, raised before any connection (these tests run without a server), never a TypeError from
deep inside. The CLI names the flag instead."""

from __future__ import annotations

from typing import Any

import pytest

from transfergraph import TransferGraph
from transfergraph.cli import flag
from transfergraph.errors import (
    BrowserError,
    DownloadError,
    InvalidInput,
    MissingExtra,
    MissingInput,
    ParameterError,
    Problem,
    ServerDown,
    TGError,
)


@pytest.fixture
def tg(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> TransferGraph:
    """A facade on a server that was never started: a call that got past its checks would fail
    with ServerDown, not a ParameterError."""
    monkeypatch.setenv("TG_SERVER_DIR", str(tmp_path / "never-started"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    return TransferGraph()


def test_every_error_is_a_tgerror() -> None:
    kinds = (
        ParameterError,
        InvalidInput,
        MissingInput,
        MissingExtra,
        DownloadError,
        ServerDown,
        BrowserError,
    )
    for kind in kinds:
        assert issubclass(kind, TGError), kind
    bad = InvalidInput([Problem("runs.csv", 3, "acc", "not a number"), Problem("runs.csv", 4, "acc", "x")])
    assert str(bad) == "runs.csv:3: column 'acc': not a number (and 1 more); nothing was written"


@pytest.mark.parametrize(
    ("call", "parameter", "problem"),
    [
        (lambda tg: tg.recommend("cifar100", top="5"), "top", "expected a whole number, got '5'"),
        (lambda tg: tg.recommend("cifar100", top=0), "top", "must be at least 1"),
        (lambda tg: tg.recommend(None), "dataset", "expected a non-empty string, got None"),
        (lambda tg: tg.recommend("  "), "dataset", "expected a non-empty string, got '  '"),
        (lambda tg: tg.recommend("x", include_tried="yes"), "include_tried", "expected True or False"),
        (lambda tg: tg.evaluate("image", seeds=0), "seeds", "must be at least 1"),
        (lambda tg: tg.evaluate("audio"), "modality", "'audio': expected one of image, text"),
        (lambda tg: tg.evaluate("image", shots=[0]), "shots", "must be at least 1"),
        (lambda tg: tg.predict(top_k=-1), "top_k", "must be at least 1"),
        (lambda tg: tg.predict(datasets=[1]), "datasets", "expected a non-empty string, got 1"),
        (lambda tg: tg.graph_build(thresholds=["accuracy_pos=2"]), "threshold", "must be within [0, 1]"),
        (lambda tg: tg.graph_build(runs="some"), "runs", "'some': expected one of full, lora, all"),
        (lambda tg: tg.graph_build(["a", "b"], view="v"), "view", "names one view"),
        (lambda tg: tg.embed("word2vec"), "method", "'word2vec': expected one of node2vec"),
        (lambda tg: tg.embed(dim=0), "dim", "must be at least 1"),
        (lambda tg: tg.ingest_runs("r.csv", modality="image", model_col="m", dataset_col="d",
                                   accuracy_col="a", batch_size=0), "batch_size", "must be at least 1"),
        (lambda tg: tg.ingest_runs(42, modality="image", model_col="m", dataset_col="d", accuracy_col="a"),
         "source", "expected a path or a list of paths, got 42"),
        (lambda tg: tg.ingest_runs([], modality="image", model_col="m", dataset_col="d", accuracy_col="a"),
         "source", "give at least one file"),
        (lambda tg: tg.ingest_hf_models(limit=0), "limit", "must be at least 1"),
        (lambda tg: tg.score("d", metrics=["nope"]), "metrics", "'nope': expected one of"),
        (lambda tg: tg.add_dataset("x", "d.csv", modality="text", sample=1), "sample", "must be at least 2"),
        (lambda tg: tg.add_model(None), "model_id", "expected a non-empty string"),
    ],
)  # fmt: skip
def test_a_bad_argument_names_its_parameter_before_connecting(
    tg: TransferGraph, call: Any, parameter: str, problem: str
) -> None:
    with pytest.raises(ParameterError) as e:
        call(tg)
    assert e.value.parameter == parameter and problem in e.value.problem, str(e.value)
    assert str(e.value).startswith(f"{parameter}: ") and "\n" not in str(e.value)


def test_a_uri_or_a_driver_not_both() -> None:
    with pytest.raises(ParameterError, match=r"^driver: give a uri or a driver, not both$"):
        TransferGraph("bolt://127.0.0.1:1", driver=object())  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"^password: required with a uri"):
        TransferGraph("bolt://127.0.0.1:1")


@pytest.mark.parametrize(
    ("parameter", "command", "expected"),
    [
        ("top", "recommend", "--top"),
        ("top", "score", "--top-from-graph"),
        ("include_tried", "recommend", "--include-tried"),
        ("metrics", "score", "--metric"),
        ("thresholds", "graph", "--threshold"),
        ("source", "dataset", "--from"),
    ],
)
def test_the_cli_names_the_flag(parameter: str, command: str, expected: str) -> None:
    assert flag(parameter, command) == expected
