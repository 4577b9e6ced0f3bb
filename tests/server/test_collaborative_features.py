"""On the paper's zoo, the sparse collaborative features (streamed edges, then algebra) equal
graph.cypher's for every (model, dataset) pair of both modalities, in the production view and in a
view that hides cifar100."""

from __future__ import annotations

import math

import neo4j
import numpy as np
import pandas as pd
import pytest

from transfergraph import graph
from transfergraph.db import run
from transfergraph.errors import TGError
from transfergraph.features import collaborative as c
from transfergraph.features import table as feats

from support import cli

pytestmark = pytest.mark.server

TARGET = "cifar100"
VIEWS = ["all", f"without:{TARGET}"]


@pytest.fixture(scope="module")
def views(zoo_graph: neo4j.Driver) -> neo4j.Driver:
    built = cli("graph", "build", "-f", "json")
    assert built.returncode == 0, built.stderr
    graph.build(zoo_graph, TARGET, graph.view_name(TARGET, None), graph.BuildSettings())
    return zoo_graph


def as_floats(column: pd.Series) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in column], dtype=float)


@pytest.mark.parametrize("modality", ["image", "text"])
@pytest.mark.parametrize("view", VIEWS)
def test_sparse_features_equal_the_cypher(views: neo4j.Driver, view: str, modality: str) -> None:
    # the reference: features/graph.cypher, one Cypher subquery per pair (what tg predict used before)
    want = pd.DataFrame(run(views, "features/graph", view=view, modality=modality, taus=list(feats.TAUS),
                            datasets=None))  # fmt: skip
    got = c.graph_frame(c.export(views, view, modality), feats.TAUS)
    assert list(got.columns) == list(want.columns) == c.GRAPH_COLUMNS
    assert len(want) > 1000
    assert got[["model", "dataset"]].values.tolist() == want[["model", "dataset"]].values.tolist()
    for col in c.GRAPH_COLUMNS[2:]:
        if col == "sim_hist":
            a = np.array(got[col].tolist(), dtype=float)
            b = np.array([as_floats(pd.Series(r)) for r in want[col]], dtype=float)
        else:
            a, b = got[col].astype(float).to_numpy(), as_floats(want[col])
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"{view} {modality} {col}")
    if view != "all" and modality == "image":  # the hidden target: no label, yet a history
        hidden = got[got["dataset"] == TARGET]
        assert len(hidden) and hidden["label"].isna().all() and hidden["prior"].notna().any()
    if view == "all" or modality == "image":  # the view derives this modality: the features say something
        assert got["label"].notna().sum() > 500 and got["nearest_sim"].gt(0).any()
        assert got["source_sim"].notna().any()


def test_a_missing_view_is_one_line(views: neo4j.Driver) -> None:
    with pytest.raises(TGError, match="no view named 'nope'"):
        c.export(views, "nope", "image")


def test_candidate_features_equal_the_full_block(views: neo4j.Driver) -> None:
    """Recall then rank on the real zoo: the features of each dataset's top candidates are those rows
    of the all-models features, and the candidates are the best by the recall score."""
    edges = c.export(views, "all", "image")
    block = edges.targets[:20]
    full = c.features(edges, block, feats.TAUS)
    top = c.candidates(edges, block, 15, tau=0.1)
    part = c.features(edges, block, feats.TAUS, top)
    np.testing.assert_array_equal(part.prior, np.take_along_axis(full.prior, top, axis=1))
    np.testing.assert_array_equal(part.nearest_acc, np.take_along_axis(full.nearest_acc, top, axis=1))
    score = np.nan_to_num(full.sim_hist[feats.TAUS.index(0.1)], nan=-np.inf)
    chosen = np.take_along_axis(score, top, axis=1)
    assert (np.diff(chosen, axis=1) <= 1e-12).all()
    assert (chosen[:, -1:] >= np.sort(score, axis=1)[:, -15:-14] - 1e-12).all()
