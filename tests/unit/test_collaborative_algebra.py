"""The sparse collaborative features equal graph.cypher's semantics, written here per pair in plain
Python from the edge lists (the server test checks them against the Cypher itself)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transfergraph.features import collaborative as c

TAUS = (0.02, 0.1, 0.5)
Edges = dict[str, Any]


def naive(e: Edges, taus: tuple[float, ...] = TAUS) -> pd.DataFrame:
    """graph.cypher, pair by pair: h = m's tried datasets other than D as (sim, id, acc), ordered by
    (sim DESC, id ASC), each pair's edges averaged; similarity 0 where no edge."""
    acc: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m, d, v in e["acc"]:
        acc[(m, d)].append(v)
    sims: dict[frozenset[str], list[float]] = defaultdict(list)
    for a, b, v in e["sim"]:
        if a != b:
            sims[frozenset((a, b))].append(v)

    def similarity(a: str, b: str) -> float:
        return float(np.mean(sims[frozenset((a, b))])) if frozenset((a, b)) in sims else 0.0

    rows = []
    for m in sorted(e["models"]):
        for big_d in sorted(e["targets"]):
            h = sorted(
                (
                    (similarity(big_d, d), d, float(np.mean(v)))
                    for (mm, d), v in acc.items()
                    if mm == m and d != big_d
                ),
                key=lambda x: (-x[0], x[1]),
            )
            hist = []
            for tau in taus:
                w = [math.exp(-(1.0 - s) / tau) for s, _, _ in h]
                hist.append(sum(wi * a for wi, (_, _, a) in zip(w, h, strict=True)) / sum(w) if h else None)
            reach = [
                1.0 if src == big_d else max(sims[frozenset((src, big_d))])
                for mm, src in e["sources"]
                if mm == m and (src == big_d or frozenset((src, big_d)) in sims)
            ]
            label = acc.get((m, big_d))
            rows.append(
                {
                    "model": m,
                    "dataset": big_d,
                    "prior": sum(a for _, _, a in h) / len(h) if h else None,
                    "n_tried": len(h),
                    "sim_hist": hist,
                    "nearest_acc": h[0][2] if h else None,
                    "near3_acc": sum(a for _, _, a in h[:3]) / len(h[:3]) if h else None,
                    "nearest_sim": h[0][0] if h else None,
                    "source_sim": max(reach) if reach else None,
                    "label": float(np.mean(label)) if label else None,
                }
            )
    return pd.DataFrame(rows, columns=c.GRAPH_COLUMNS)


def matrices(e: Edges) -> c.ViewEdges:
    models = sorted(e["models"])
    datasets = sorted(
        set(e["targets"])
        | {d for _, d, _ in e["acc"]}
        | {x for a, b, _ in e["sim"] for x in (a, b)}
        | {d for _, d in e["sources"]}
    )
    mi, di = {m: i for i, m in enumerate(models)}, {d: i for i, d in enumerate(datasets)}
    return c.ViewEdges.build(
        models,
        datasets,
        e["targets"],
        ([mi[m] for m, _, _ in e["acc"]], [di[d] for _, d, _ in e["acc"]], [v for _, _, v in e["acc"]]),
        ([di[a] for a, _, _ in e["sim"]], [di[b] for _, b, _ in e["sim"]], [v for _, _, v in e["sim"]]),
        ([mi[m] for m, _ in e["sources"]], [di[d] for _, d in e["sources"]]),
    )


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == c.GRAPH_COLUMNS
    assert got[["model", "dataset"]].values.tolist() == want[["model", "dataset"]].values.tolist()
    for col in c.GRAPH_COLUMNS[2:]:
        if col == "sim_hist":
            a = np.array(got[col].tolist(), dtype=float)
            b = np.array([[math.nan if v is None else v for v in r] for r in want[col]], dtype=float)
        else:
            a, b = got[col].astype(float).to_numpy(), want[col].astype(float).to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=col)


def frame(e: Edges) -> pd.DataFrame:
    return c.graph_frame(matrices(e), TAUS).set_index(["model", "dataset"])


HAND: Edges = {
    "models": ["m_only_d", "m_tie", "m_src_is_d", "m_no_src", "m_two"],
    "targets": ["D", "lonely", "x", "y"],
    "acc": [
        ("m_only_d", "D", 0.7),  # tried on D alone: no history for D, a label
        ("m_tie", "y", 0.9),  # x and y are equally similar to D: x (lower id) is nearest
        ("m_tie", "x", 0.2),
        ("m_tie", "D", 0.0),  # a stored 0.0 is a tried pair
        ("m_tie", "z", 0.4),
        ("m_two", "x", 0.6),
        ("m_two", "x", 0.8),  # two edges of one pair: their mean
        ("m_two", "lonely", 0.0),
        ("m_two", "z", 0.2),
        ("m_src_is_d", "y", 0.5),
        ("m_no_src", "lonely", 1.0),
    ],
    "sim": [
        ("D", "x", 0.5),
        ("y", "D", 0.5),
        ("D", "z", 0.25),
        ("x", "y", 0.75),
        ("x", "y", 0.25),  # a pair with two edges: mean 0.5 for the history, max 0.75 for sources
        ("src", "D", 0.3),
        ("x", "x", 0.9),  # a self-loop: never read
    ],
    "sources": [
        ("m_src_is_d", "D"),
        ("m_tie", "src"),
        ("m_two", "src"),
        ("m_two", "x"),
        ("m_only_d", "nowhere"),
    ],
}


def test_hand_made_graph_equals_the_per_pair_semantics() -> None:
    assert_same(c.graph_frame(matrices(HAND), TAUS), naive(HAND))


def test_ties_in_similarity_go_to_the_lower_dataset_id() -> None:
    got = frame(HAND).loc[("m_tie", "D")]
    assert got["nearest_acc"] == 0.2 and got["nearest_sim"] == 0.5  # x before y
    assert got["near3_acc"] == pytest.approx((0.2 + 0.9 + 0.4) / 3)
    assert got["n_tried"] == 3 and got["label"] == 0.0


def test_a_model_tried_only_on_the_dataset_has_a_label_and_no_history() -> None:
    got = frame(HAND).loc[("m_only_d", "D")]
    assert got["label"] == 0.7 and got["n_tried"] == 0
    assert all(math.isnan(got[k]) for k in ("prior", "nearest_acc", "near3_acc", "nearest_sim"))
    assert all(math.isnan(v) for v in got["sim_hist"])
    assert math.isnan(got["source_sim"])  # its source has no edge to D


def test_a_dataset_without_similarity_edges_weighs_every_tried_dataset_alike() -> None:
    got = frame(HAND).loc[("m_two", "lonely")]
    assert got["nearest_sim"] == 0.0 and got["n_tried"] == 2 and got["prior"] == pytest.approx(0.45)
    assert got["sim_hist"] == pytest.approx([0.45] * len(TAUS))  # the same weight exp(-1/tau) for all
    assert got["nearest_acc"] == pytest.approx(0.7)  # x before z: by id
    assert got["label"] == 0.0


def test_source_similarity() -> None:
    got = frame(HAND)
    assert got.loc[("m_src_is_d", "D"), "source_sim"] == 1.0
    assert got.loc[("m_tie", "D"), "source_sim"] == 0.3
    assert math.isnan(got.loc[("m_no_src", "D"), "source_sim"])
    assert got.loc[("m_two", "y"), "source_sim"] == 0.75  # max over sources and over the pair's edges
    assert got.loc[("m_two", "x"), "source_sim"] == 1.0


def test_features_of_candidates_equal_those_of_all_models() -> None:
    edges = matrices(HAND)
    full = c.features(edges, edges.targets, TAUS)
    pick = np.array([[4, 0], [1, 1], [3, 2], [0, 4]])
    part = c.features(edges, edges.targets, TAUS, pick)
    for name in ("prior", "n_tried", "nearest_acc", "near3_acc", "nearest_sim", "source_sim", "label"):
        want = np.take_along_axis(getattr(full, name), pick, axis=1)
        np.testing.assert_array_equal(getattr(part, name), want, err_msg=name)
    np.testing.assert_array_equal(part.sim_hist, np.take_along_axis(full.sim_hist, pick[None], axis=2))


@pytest.mark.parametrize("tau", [0.1, None])
def test_recall_scores_are_the_features_value(tau: float | None) -> None:
    edges = matrices(HAND)
    full = c.features(edges, edges.targets, TAUS)
    want = full.prior if tau is None else full.sim_hist[TAUS.index(tau)]
    np.testing.assert_allclose(c.recall_scores(edges, edges.targets, tau), want, rtol=1e-12)


def test_candidates_break_ties_by_model_id_and_put_no_history_last() -> None:
    # five models; on D: a and c tie at 0.5, e at 0.9, b none (tried nothing), d only on D
    e: Edges = {
        "models": ["a", "b", "c", "d", "e"],
        "targets": ["D", "x"],
        "acc": [("a", "x", 0.5), ("c", "x", 0.5), ("e", "x", 0.9), ("d", "D", 1.0)],
        "sim": [],
        "sources": [],
    }
    edges = matrices(e)
    d = edges.columns(["D"])
    assert c.candidates(edges, d, 2).tolist() == [[4, 0]]
    assert c.candidates(edges, d, 3).tolist() == [[4, 0, 2]]
    assert c.candidates(edges, d, 10).tolist() == [[4, 0, 2, 1, 3]]  # NaN ties by id too
    assert c.candidates(edges, d, 4, tau=None).tolist() == [[4, 0, 2, 1]]


def test_candidates_hold_bounded_score_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    edges = matrices(HAND)
    whole = c.candidates(edges, edges.targets, 3)
    monkeypatch.setattr(c, "RECALL_CELLS", 1)  # one dataset at a time
    np.testing.assert_array_equal(c.candidates(edges, edges.targets, 3), whole)


NAMES = ["a", "b", "B", "c10", "c9", "é"]


@st.composite
def graphs(draw: st.DrawFn) -> Edges:
    models = draw(st.lists(st.sampled_from(["m1", "m2", "M3", "m4"]), min_size=1, unique=True))
    datasets = draw(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))
    values = st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0, 1)  # ties are likely
    return {
        "models": models,
        "targets": draw(st.lists(st.sampled_from(datasets), min_size=1, unique=True)),
        "acc": draw(
            st.lists(st.tuples(st.sampled_from(models), st.sampled_from(datasets), values), max_size=14)
        ),
        "sim": draw(
            st.lists(st.tuples(st.sampled_from(datasets), st.sampled_from(datasets), values), max_size=12)
        ),
        "sources": draw(st.lists(st.tuples(st.sampled_from(models), st.sampled_from(datasets)), max_size=5)),
    }


@settings(max_examples=75, deadline=None)
@given(graphs())
def test_random_graphs_equal_the_per_pair_semantics(e: Edges) -> None:
    assert_same(c.graph_frame(matrices(e), TAUS), naive(e))


@settings(max_examples=50, deadline=None)
@given(graphs(), st.integers(1, 5), st.sampled_from([None, 0.05, 0.5]))
def test_random_candidates_are_the_best_by_score_then_id(e: Edges, k: int, tau: float | None) -> None:
    edges = matrices(e)
    scores = np.nan_to_num(c.recall_scores(edges, edges.targets, tau), nan=-np.inf)
    got = c.candidates(edges, edges.targets, k, tau=tau)
    for row, picked in zip(scores, got, strict=True):
        ids = np.arange(len(row))
        assert picked.tolist() == np.lexsort((ids, -row))[:k].tolist()


@settings(max_examples=50, deadline=None)
@given(graphs(), st.integers(1, 5))
def test_recall_keeps_the_tried_and_the_k_best_by_prior_with_their_full_features(e: Edges, k: int) -> None:
    """recalled_frame: per dataset its tried models (training rows) and the k best untried ones by the
    prior, each row equal to graph_frame's; k at least the number of models gives every pair."""
    edges = matrices(e)
    full = c.graph_frame(edges, TAUS).set_index(["model", "dataset"])
    got = c.recalled_frame(edges, TAUS, k)
    everyone = c.candidates(edges, edges.targets, len(edges.models), tau=None)
    for j, target in enumerate(edges.targets):
        dataset = edges.datasets[target]
        tried = set(full.xs(dataset, level="dataset").dropna(subset=["label"]).index)
        untried = [m for m in edges.models[everyone[j]].tolist() if m not in tried][:k]
        want = tried | set(untried)
        assert set(got.loc[got["dataset"] == dataset, "model"]) == want
    assert_same(got, full.loc[list(zip(got["model"], got["dataset"], strict=True))].reset_index())
    assert_same(c.recalled_frame(edges, TAUS, len(edges.models)), full.reset_index())
