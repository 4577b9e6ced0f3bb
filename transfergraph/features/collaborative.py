"""Collaborative features as sparse algebra over a view's edges, instead of one Cypher subquery per pair.

`cypher/features/graph.cypher` computes, for every (model, dataset) pair of a modality, the model's
prior, its similarity-weighted history, its nearest tried datasets and its source similarity; at
20k models x 300 datasets the server runs out of transaction memory. Here the view's edges are
streamed out once (`export`) into integer-indexed matrices, and the same values are computed for a
block of datasets at a time (`features`), for all models or for a few candidates per dataset
(`candidates`, a cheap recall score). Memory is bounded by the block: b x n_models dense arrays at
most, never n_models x n_datasets. Leak-freedom is the Cypher's: the view hides its target's edges,
and the features of a pair (m, D) never read m's edge to D (it is only the label).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import neo4j
import numpy as np
import pandas as pd
import scipy.sparse as sp

from transfergraph.cypher import query
from transfergraph.db import run
from transfergraph.errors import TGError

FETCH_SIZE = 10_000  # records per network batch while streaming an export
NO_RANK = np.int32(np.iinfo(np.int32).max)  # the sort key of an entry that is not (or no longer) a candidate
RECALL_CELLS = 1 << 22  # (datasets x models) scores held at once by `candidates`
GRAPH_COLUMNS = [
    "model",
    "dataset",
    "prior",
    "n_tried",
    "sim_hist",
    "nearest_acc",
    "near3_acc",
    "nearest_sim",
    "source_sim",
    "label",
]  # the columns of features/graph.cypher, in its order


@dataclass(frozen=True)
class ViewEdges:
    """One view's edges around one modality, as matrices indexed by position.

    Rows of `acc` and `source` are `models` (the modality's, sorted by id). Columns of every matrix,
    and rows of `sim`, are `datasets`: the modality's and any other an edge reaches, sorted by id.
    `targets` are the columns of the modality's datasets, the D that features are computed for.
    A stored entry of `acc` is a tried pair (its value may be 0.0: normalisation puts a dataset's
    worst model there); `sim` is 0 where no edge joins two datasets, as the Cypher's coalesce.
    """

    models: np.ndarray  # str ids (object array)
    datasets: np.ndarray  # str ids (object array)
    targets: np.ndarray  # int column indices, ascending
    acc: sp.csr_matrix  # models x datasets: the mean normalised accuracy of the pair's edges
    sim: sp.csr_matrix  # datasets x datasets, symmetric: the mean similarity of the pair's edges
    sim_max: sp.csr_matrix  # the same pairs: the largest similarity (source_sim takes a max)
    source: sp.csr_matrix  # models x datasets: 1 where the model was pre-trained on the dataset

    @classmethod
    def build(
        cls,
        models: Sequence[str] | np.ndarray,
        datasets: Sequence[str] | np.ndarray,
        targets: Sequence[str],
        accuracy: tuple[Any, Any, Any],
        similarity: tuple[Any, Any, Any],
        sources: tuple[Any, Any],
    ) -> ViewEdges:
        """From edge lists by position into `models` and `datasets` (both sorted, unique):
        accuracy (model, dataset, value), similarity (dataset, dataset, value) read undirected,
        sources (model, dataset). Repeated edges of a pair are averaged (similarity: also their max);
        a similarity edge from a dataset to itself is ignored (graph.cypher never reads one)."""
        n_m, n_d = len(models), len(datasets)
        a_rows, a_cols, a_vals = (np.asarray(x) for x in accuracy)
        acc, _ = _aggregate(a_rows, a_cols, a_vals.astype(float), (n_m, n_d))
        s_a, s_b, s_v = (np.asarray(x) for x in similarity)
        apart = s_a != s_b
        s_a, s_b, s_v = s_a[apart], s_b[apart], s_v[apart].astype(float)
        sim, sim_max = _aggregate(
            np.concatenate([s_a, s_b]), np.concatenate([s_b, s_a]), np.concatenate([s_v, s_v]), (n_d, n_d)
        )
        src_rows, src_cols = (np.asarray(x) for x in sources)
        source, _ = _aggregate(src_rows, src_cols, np.ones(len(src_rows)), (n_m, n_d))
        source.data[:] = 1.0
        position = {d: i for i, d in enumerate(datasets)}
        return cls(
            models=np.array(models, dtype=object),
            datasets=np.array(datasets, dtype=object),
            targets=np.array(sorted(position[t] for t in targets), dtype=np.int64),
            acc=acc,
            sim=sim,
            sim_max=sim_max,
            source=source,
        )

    def columns(self, names: Iterable[str]) -> np.ndarray:
        """The target columns of the named datasets (unknown names and other modalities: none)."""
        wanted = set(names)
        return np.array([t for t in self.targets if self.datasets[t] in wanted], dtype=np.int64)

    @cached_property
    def by_dataset(self) -> sp.csc_matrix:
        """`acc` by column: the models tried on a dataset (kept for the block-after-block calls)."""
        return self.acc.tocsc()

    @cached_property
    def prior_order(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(every model's prior over all its tried datasets, -inf for none; its count of them; the
        models by that prior, best first, ties by id)."""
        count = np.diff(self.acc.indptr).astype(float)
        total = _Entries.of(self.acc, None).reduce(np.add, self.acc.data, 0.0)
        prior = np.nan_to_num(_ratio(total, count), nan=-np.inf)
        return prior, count, np.lexsort((np.arange(len(prior)), -prior))


def _aggregate(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """CSR matrices of the mean and of the max of the values given per (row, col); every pair given
    is stored, 0.0 included (scipy's own duplicate summing is not relied on for that)."""
    key = rows.astype(np.int64) * shape[1] + cols.astype(np.int64)
    pairs, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(pairs))
    counts = np.bincount(inverse, minlength=len(pairs))
    largest = np.full(len(pairs), -np.inf)
    np.maximum.at(largest, inverse, values)
    r, c = np.divmod(pairs, shape[1])
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=indptr[1:])
    mean = sp.csr_matrix((sums / np.maximum(counts, 1), c, indptr), shape=shape)
    return mean, sp.csr_matrix((largest, c.copy(), indptr.copy()), shape=shape)


# -- export: the view's edges, streamed -------------------------------------------------------------


def _stream(drv: neo4j.Driver, name: str, **params: Any) -> Iterator[neo4j.Record]:
    """The records of a named statement as the server sends them, FETCH_SIZE at a time."""
    with drv.session(default_access_mode=neo4j.READ_ACCESS, fetch_size=FETCH_SIZE) as session:
        yield from session.run(query(name), params)


class _Ids:
    """Ids numbered in order of first sight, renumbered by sorted id at the end."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        return self.index.setdefault(name, len(self.index))

    def sorted(self) -> tuple[list[str], np.ndarray]:
        """(ids sorted, new position of each first-sight number)."""
        names = sorted(self.index)
        renumber = np.empty(len(names), dtype=np.int64)
        renumber[[self.index[n] for n in names]] = np.arange(len(names))
        return names, renumber


def export(drv: neo4j.Driver, view: str, modality: str) -> ViewEdges:
    """The view's accuracy and similarity edges and the models' sources around `modality`."""
    if not run(drv, "features/view", view=view):
        raise TGError(f"no view named {view!r}: build it with `tg graph build` (see `tg graph views`)")
    models, datasets = _Ids(), _Ids()
    a_rows, a_cols, a_vals = array("q"), array("q"), array("d")
    for record in _stream(drv, "features/edges_accuracy", view=view, modality=modality):
        row = models(record["model"])
        tried, values = record["datasets"], record["accuracies"]
        a_rows.extend([row] * len(tried))
        a_cols.extend(map(datasets, tried))
        a_vals.extend(values)
    targets: list[int] = []
    s_a, s_b, s_v = array("q"), array("q"), array("d")
    for record in _stream(drv, "features/edges_similarity", view=view, modality=modality):
        target = datasets(record["dataset"])
        targets.append(target)
        others, values = record["others"], record["similarities"]
        s_a.extend([target] * len(others))
        s_b.extend(map(datasets, others))
        s_v.extend(values)
    src_rows, src_cols = array("q"), array("q")
    for record in _stream(drv, "features/edges_source", modality=modality):
        src_rows.append(models(record["model"]))
        src_cols.append(datasets(record["source"]))
    model_ids, model_pos = models.sorted()
    dataset_ids, dataset_pos = datasets.sorted()

    def m(a: array[int]) -> np.ndarray:
        return model_pos[np.frombuffer(a, dtype=np.int64)] if len(a) else np.zeros(0, np.int64)

    def d(a: array[int]) -> np.ndarray:
        return dataset_pos[np.frombuffer(a, dtype=np.int64)] if len(a) else np.zeros(0, np.int64)

    return ViewEdges.build(
        model_ids,
        dataset_ids,
        [dataset_ids[dataset_pos[t]] for t in targets],
        (m(a_rows), d(a_cols), np.frombuffer(a_vals, dtype=float)),
        (d(s_a), d(s_b), np.frombuffer(s_v, dtype=float)),
        (m(src_rows), d(src_cols)),
    )


def patched(
    edges: ViewEdges, drv: neo4j.Driver, view: str, modality: str, datasets: Sequence[str]
) -> ViewEdges | None:
    """`edges` with the accuracy edges of `datasets` and the modality's similarity edges and datasets
    read anew: what `export` returns after a refresh of those datasets changed only them, at the cost
    of their edges and the datasets' (not every model's). None when their edges reach a model that
    `edges` does not know (export everything then)."""
    rows: list[np.ndarray] = []
    values: list[float] = []
    refreshed: list[str] = []
    for dataset in datasets:
        found = run(drv, "features/edges_accuracy_dataset", view=view, modality=modality, dataset=dataset)
        ids = np.array([r["model"] for r in found], dtype=object)
        where = np.searchsorted(edges.models, ids).astype(np.int64)
        inside = np.minimum(where, max(len(edges.models) - 1, 0))
        if len(ids) and (len(edges.models) == 0 or (edges.models[inside] != ids).any()):
            return None
        rows.append(where)
        values += [float(r["accuracy"]) for r in found]
        refreshed += [dataset] * len(found)
    targets: list[str] = []
    s_a: list[str] = []
    s_b: list[str] = []
    s_v = array("d")
    for record in _stream(drv, "features/edges_similarity", view=view, modality=modality):
        targets.append(record["dataset"])
        s_a += [record["dataset"]] * len(record["others"])
        s_b += record["others"]
        s_v.extend(record["similarities"])
    names = np.array(sorted(set(edges.datasets) | set(targets) | set(s_b) | set(datasets)), dtype=object)
    position = {d: i for i, d in enumerate(names)}
    column = np.searchsorted(names, edges.datasets)  # old column -> new column (both sorted)
    gone = np.array([position[d] for d in datasets], dtype=np.int64)
    acc = edges.acc.tocoo()  # every stored entry, 0.0 included
    cols = column[acc.col]
    keep = ~np.isin(cols, gone)
    source = edges.source.tocoo()
    return ViewEdges.build(
        edges.models,
        names,
        targets,
        (
            np.concatenate([acc.row[keep], *rows]).astype(np.int64),
            np.concatenate([cols[keep], [position[d] for d in refreshed]]).astype(np.int64),
            np.concatenate([acc.data[keep], values]),
        ),
        (
            np.array([position[d] for d in s_a], dtype=np.int64),
            np.array([position[d] for d in s_b], dtype=np.int64),
            np.frombuffer(s_v, dtype=float) if len(s_v) else np.zeros(0),
        ),
        (source.row, column[source.col]),
    )


# -- features of a block of datasets ----------------------------------------------------------------


@dataclass
class Features:
    """The features of the pairs (models[j, i], datasets[block[j]]): every array is (b, n), or
    (len(taus), b, n) for sim_hist. NaN where graph.cypher returns null."""

    block: np.ndarray
    models: np.ndarray
    prior: np.ndarray
    n_tried: np.ndarray
    sim_hist: np.ndarray
    nearest_acc: np.ndarray
    near3_acc: np.ndarray
    nearest_sim: np.ndarray
    source_sim: np.ndarray
    label: np.ndarray


@dataclass
class _Entries:
    """Some rows of a CSR matrix (all, or gathered), for per-row sums and per-row minima."""

    rows: sp.csr_matrix
    pattern: sp.csr_matrix  # the same entries, each 1.0
    owner: np.ndarray  # the row (0 .. n-1) of each entry

    @classmethod
    def of(cls, matrix: sp.csr_matrix, rows: np.ndarray | None) -> _Entries:
        if rows is None:
            indptr, cols, values = matrix.indptr, matrix.indices, matrix.data
        else:
            begin = matrix.indptr[rows].astype(np.int64)
            lengths = matrix.indptr[rows + 1] - begin
            indptr = np.concatenate([[0], np.cumsum(lengths)])
            pos = np.repeat(begin - indptr[:-1], lengths) + np.arange(indptr[-1])
            cols, values = matrix.indices[pos], matrix.data[pos]
        shape = (len(indptr) - 1, matrix.shape[1])
        return cls(
            sp.csr_matrix((values, cols, indptr), shape=shape),
            sp.csr_matrix((np.ones(len(values)), cols, indptr), shape=shape),
            np.repeat(np.arange(shape[0]), np.diff(indptr)),
        )

    @property
    def cols(self) -> np.ndarray:
        return self.rows.indices

    @property
    def values(self) -> np.ndarray:
        return self.rows.data

    def reduce(self, ufunc: np.ufunc, values: np.ndarray, identity: Any) -> np.ndarray:
        """ufunc over each row's entries of `values` (aligned with cols); `identity` for no entry."""
        indptr = self.rows.indptr
        out: np.ndarray = ufunc.reduceat(np.append(values, identity), indptr[:-1])
        out[indptr[1:] == indptr[:-1]] = identity
        return out


def _dense_row(matrix: sp.csr_matrix, row: int, fill: float) -> np.ndarray:
    out = np.full(matrix.shape[1], fill)
    lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
    out[matrix.indices[lo:hi]] = matrix.data[lo:hi]
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def features(
    edges: ViewEdges, block: np.ndarray, taus: Sequence[float], models: np.ndarray | None = None
) -> Features:
    """graph.cypher's features for the datasets `block` (columns of edges.datasets): for every
    model, or for models[j] (a row of model indices per dataset, e.g. from `candidates`).

    One pass per dataset over the chosen models' accuracy entries, with no loop over pairs: the
    weighted sums are one sparse-times-dense product, the nearest tried datasets three segment
    minima (reduceat) of their similarity ranks."""
    block = np.asarray(block, dtype=np.int64)
    n_m = len(edges.models)
    if models is None:
        chosen = np.broadcast_to(np.arange(n_m), (len(block), n_m))
    else:
        chosen = np.asarray(models, dtype=np.int64).reshape(len(block), -1)
    b, n = chosen.shape
    out = Features(
        block=block,
        models=chosen,
        prior=np.full((b, n), np.nan),
        n_tried=np.zeros((b, n), dtype=np.int64),
        sim_hist=np.full((len(taus), b, n), np.nan),
        nearest_acc=np.full((b, n), np.nan),
        near3_acc=np.full((b, n), np.nan),
        nearest_sim=np.full((b, n), np.nan),
        source_sim=np.full((b, n), np.nan),
        label=np.full((b, n), np.nan),
    )
    tried = sources = None
    if models is None:  # the same entries for every dataset of the block
        tried, sources = _Entries.of(edges.acc, None), _Entries.of(edges.source, None)
    for j, target in enumerate(block):
        if models is not None:
            tried, sources = _Entries.of(edges.acc, chosen[j]), _Entries.of(edges.source, chosen[j])
        assert tried is not None and sources is not None
        _one_dataset(edges, int(target), tried, sources, taus, out, j)
    return out


def _one_dataset(
    edges: ViewEdges,
    target: int,
    tried: _Entries,
    sources: _Entries,
    taus: Sequence[float],
    out: Features,
    j: int,
) -> None:
    """Row j of `out`: the features of the rows of `tried` (and `sources`) for dataset `target`."""
    sim = _dense_row(edges.sim, target, 0.0)  # coalesce(avg(similarity), 0.0)
    # one product for the weighted sums: a column per tau, and one of 1s for the prior and n_tried
    weight = np.ones((len(sim), len(taus) + 1))
    for t, tau in enumerate(taus):
        weight[:, t] = np.exp(-(1.0 - sim) / tau)
    weight[target] = 0.0  # leave D out
    num, den = tried.rows @ weight, tried.pattern @ weight
    for t in range(len(taus)):
        out.sim_hist[t, j] = _ratio(num[:, t], den[:, t])
    out.prior[j] = _ratio(num[:, -1], den[:, -1])
    out.n_tried[j] = np.rint(den[:, -1])
    on_target = tried.cols == target
    out.label[j, tried.owner[on_target]] = tried.values[on_target]
    # the tried datasets by (similarity DESC, id ASC): the columns are in id order, so a stable sort
    order = np.argsort(-sim, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[target] = NO_RANK
    key = rank[tried.cols]
    nearest = np.full((3, tried.rows.shape[0]), np.nan)
    first = np.full(tried.rows.shape[0], NO_RANK)
    for k in range(3):
        low = tried.reduce(np.minimum, key, NO_RANK)
        hit = (key == low[tried.owner]) & (key != NO_RANK)
        nearest[k, tried.owner[hit]] = tried.values[hit]
        key[hit] = NO_RANK
        if k == 0:
            first = low
    found = first != NO_RANK
    out.nearest_acc[j] = nearest[0]
    out.near3_acc[j] = _ratio(np.nansum(nearest, axis=0), (~np.isnan(nearest)).sum(axis=0).astype(float))
    out.nearest_sim[j, found] = sim[order[first[found]]]
    # max over sources of (1 if the source is D, else the largest similarity of an edge to D)
    reach = _dense_row(edges.sim_max, target, np.nan)[sources.cols]
    reach[sources.cols == target] = 1.0
    out.source_sim[j] = sources.reduce(np.fmax, reach, np.nan)


def graph_frame(
    edges: ViewEdges, taus: Sequence[float], datasets: Iterable[str] | None = None
) -> pd.DataFrame:
    """The rows features/graph.cypher returns (its columns, ordered by model then dataset), for every
    model and the modality's datasets (or those of them named in `datasets`)."""
    block = edges.targets if datasets is None else edges.columns(datasets)
    f = features(edges, block, taus)
    n_m, b = len(edges.models), len(block)

    def per_pair(a: np.ndarray) -> np.ndarray:
        return a.T.reshape(-1)  # (b, n) -> model-major rows

    return pd.DataFrame(
        {
            "model": np.repeat(edges.models, b).tolist(),
            "dataset": np.tile(edges.datasets[block], n_m).tolist(),
            "prior": per_pair(f.prior),
            "n_tried": per_pair(f.n_tried),
            "sim_hist": f.sim_hist.transpose(2, 1, 0).reshape(n_m * b, len(taus)).tolist(),
            "nearest_acc": per_pair(f.nearest_acc),
            "near3_acc": per_pair(f.near3_acc),
            "nearest_sim": per_pair(f.nearest_sim),
            "source_sim": per_pair(f.source_sim),
            "label": per_pair(f.label),
        },
        columns=GRAPH_COLUMNS,
    )


def recalled_frame(
    edges: ViewEdges, taus: Sequence[float], k: int, datasets: Iterable[str] | None = None
) -> pd.DataFrame:
    """`graph_frame`'s rows for, per dataset, the models tried on it (its training rows) and the k
    best untried ones by the prior (`candidates`): recall, then the full features on those only. With
    k at least the number of models this is every pair, as `graph_frame`. Rows: model, then dataset."""
    block = edges.targets if datasets is None else edges.columns(datasets)
    if k >= len(edges.models):
        return graph_frame(edges, taus, datasets)
    by_dataset = edges.by_dataset
    tried_on = [by_dataset.indices[by_dataset.indptr[t] : by_dataset.indptr[t + 1]] for t in block]
    # k untried per dataset: recall k plus as many as the most tried dataset, then drop the tried
    recalled = (
        candidates(edges, block, k + max((len(t) for t in tried_on), default=0), tau=None)
        if k > 0
        else np.zeros((len(block), 0), dtype=np.int64)
    )
    model_parts: list[np.ndarray] = []
    dataset_parts: list[np.ndarray] = []
    value_parts: list[np.ndarray] = []
    for j, target in enumerate(block):
        tried = tried_on[j]
        untried = recalled[j][~np.isin(recalled[j], tried)][:k]
        chosen = np.union1d(untried, tried).astype(np.int64)
        if not len(chosen):
            continue
        f = features(edges, np.array([target]), taus, chosen[None, :])
        model_parts.append(chosen)
        dataset_parts.append(np.full(len(chosen), target))
        value_parts.append(
            np.column_stack(
                [
                    f.prior[0],
                    f.n_tried[0],
                    *f.sim_hist[:, 0, :],
                    f.nearest_acc[0],
                    f.near3_acc[0],
                    f.nearest_sim[0],
                    f.source_sim[0],
                    f.label[0],
                ]
            )
        )
    if not model_parts:
        return pd.DataFrame(columns=GRAPH_COLUMNS)
    m, d, v = np.concatenate(model_parts), np.concatenate(dataset_parts), np.concatenate(value_parts)
    order = np.lexsort((d, m))  # model, then dataset (ids sort as their positions)
    m, d, v = m[order], d[order], v[order]
    n_taus = len(taus)
    return pd.DataFrame(
        {
            "model": edges.models[m].tolist(),
            "dataset": edges.datasets[d].tolist(),
            "prior": v[:, 0],
            "n_tried": v[:, 1].astype(np.int64),
            "sim_hist": v[:, 2 : 2 + n_taus].tolist(),
            "nearest_acc": v[:, 2 + n_taus],
            "near3_acc": v[:, 3 + n_taus],
            "nearest_sim": v[:, 4 + n_taus],
            "source_sim": v[:, 5 + n_taus],
            "label": v[:, 6 + n_taus],
        },
        columns=GRAPH_COLUMNS,
    )


# -- recall: a cheap score for every model, the top k per dataset -----------------------------------


def recall_scores(edges: ViewEdges, block: np.ndarray, tau: float | None) -> np.ndarray:
    """(b, n_models): the similarity history at `tau` of every model for each dataset of `block`
    (the prior if tau is None), as `features` computes it; NaN for a model with no other history.
    Two sparse-times-dense products (weighted sums and weights) per block."""
    block = np.asarray(block, dtype=np.int64)
    acc = edges.acc
    tried = sp.csr_matrix((np.ones(acc.nnz), acc.indices, acc.indptr), shape=acc.shape)
    if tau is None:
        weight = np.ones((len(block), acc.shape[1]))
    else:
        weight = np.exp(-(1.0 - edges.sim[block].toarray()) / tau)
    weight[np.arange(len(block)), block] = 0.0  # leave D out
    num = np.asarray(acc @ weight.T).T
    den = np.asarray(tried @ weight.T).T
    return _ratio(num, den)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first, ties (and NaN, lowest) by index."""
    s = np.where(np.isnan(scores), -np.inf, scores)
    if k < len(s):
        threshold = s[np.argpartition(-s, k - 1)[k - 1]]
        above = np.flatnonzero(s > threshold)
        chosen = np.concatenate([above, np.flatnonzero(s == threshold)[: k - len(above)]])
    else:
        chosen = np.arange(len(s))
    return chosen[np.lexsort((chosen, -s[chosen]))]


def candidates(edges: ViewEdges, block: np.ndarray, k: int, *, tau: float | None = 0.1) -> np.ndarray:
    """(b, min(k, n_models)): per dataset of `block`, the models with the best recall score (the
    similarity history at `tau`, or the prior if tau is None), best first, ties by model id.
    Scores are computed RECALL_CELLS at a time, so memory stays bounded."""
    block = np.asarray(block, dtype=np.int64)
    n_m = len(edges.models)
    k = min(k, n_m)
    if tau is None:
        return _prior_candidates(edges, block, k)
    out = np.empty((len(block), k), dtype=np.int64)
    step = max(1, RECALL_CELLS // max(n_m, 1))
    for lo in range(0, len(block), step):
        scores = recall_scores(edges, block[lo : lo + step], tau)
        for i, row in enumerate(scores):
            out[lo + i] = _top(row, k)
    return out


def _prior_candidates(edges: ViewEdges, block: np.ndarray, k: int) -> np.ndarray:
    """`candidates` by the prior without scoring every model per dataset: a model not tried on D has
    the same prior for every D, so one global order serves, and only the models tried on D (a
    column of the matrix) are rescored. O(k + tried on D) per dataset."""
    prior, count, order = edges.prior_order
    by_dataset = edges.by_dataset
    out = np.empty((len(block), k), dtype=np.int64)
    for j, target in enumerate(block):
        lo, hi = by_dataset.indptr[target], by_dataset.indptr[target + 1]
        on = by_dataset.indices[lo:hi].astype(np.int64)
        rows = _Entries.of(edges.acc, on)  # summed without D's entry, as recall_scores does (no cancellation)
        others = rows.reduce(np.add, np.where(rows.cols == target, 0.0, rows.values), 0.0)
        rescored = np.nan_to_num(_ratio(others, count[on] - 1), nan=-np.inf)
        head = order[: k + len(on)]
        head = head[~np.isin(head, on)][:k]
        chosen = np.concatenate([head, on])
        scores = np.concatenate([prior[head], rescored])
        out[j] = chosen[np.lexsort((chosen, -scores))[:k]]
    return out
