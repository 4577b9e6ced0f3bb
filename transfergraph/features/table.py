"""The feature table of every (model, dataset) pair of a modality, computed from one view.

Graph features come from `cypher/features/graph.cypher`, which reads only the view's derived
edges: a view `without:T` hides T's runs, so nothing measured on T can reach T's features or any
training row. A training row on D never uses D's own label either (the Cypher leaves D out).
Metadata, dataset sizes and transferability scores are known before fine-tuning. Encoders and
fills live in `Encoder`, fitted on training rows only (docs/method.md, "Departures from the paper's code").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import neo4j
import numpy as np
import pandas as pd

from transfergraph.choices import EmbedMethod
from transfergraph.config import Settings
from transfergraph.db import columns, run
from transfergraph.errors import TGError

# Temperatures of the similarity-weighted history (fixed in advance; the baseline picks one by
# nested selection on the training datasets, the regressors see all of them).
TAUS = (0.02, 0.05, 0.1, 0.2, 0.5)
SIM_HIST = [f"sim_hist_{t:g}" for t in TAUS]
GRAPH = ["prior", "n_tried", *SIM_HIST, "nearest_acc", "near3_acc", "nearest_sim", "source_sim"]
MODEL_NUM = ["log_parameters", "log_memory", "input_size", "source_accuracy"]
MODEL_CAT = ["model_type", "architecture"]
DATASET_NUM = ["log_samples", "log_classes"]
TRANSFER = ["logme_z", "reg_h_z"]
METRICS = {"LogME": "logme", "Reg-H-Score": "reg_h"}


EMBEDDING_COSINE = "embedding_cosine"  # cosine of the model's and the dataset's vectors


@dataclass
class FeatureTable:
    """One row per (model, dataset); `label` is the view's normalised accuracy (NaN: unknown)."""

    frame: pd.DataFrame
    missing: list[str] = field(default_factory=list)  # feature groups the zoo has no data for
    embedding_cols: list[str] = field(default_factory=list)

    def columns(self, groups: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """(numeric, categorical) columns of the named groups: graph, model, dataset, transfer, embedding."""
        num: list[str] = []
        cat: list[str] = []
        for g in groups:
            if g == "graph":
                num += GRAPH
            elif g == "model":
                num += MODEL_NUM
                cat += MODEL_CAT
            elif g == "dataset":
                num += DATASET_NUM
            elif g == "transfer":
                num += TRANSFER
            elif g == "embedding":  # one link score per pair
                num += [EMBEDDING_COSINE] if self.embedding_cols else []
            elif g == "embedding-concat":  # the paper's: both vectors
                num += self.embedding_cols
            else:
                raise ValueError(f"unknown feature group {g!r}")
        return num, cat


def view_settings(drv: neo4j.Driver, view: str) -> dict[str, Any]:
    rows = run(drv, "features/view", view=view)
    if not rows:
        raise TGError(f"no view named {view!r}: build it with `tg graph build` (see `tg graph views`)")
    settings: dict[str, Any] = rows[0]["view"]
    pos, neg = settings.get("accuracy_pos"), settings.get("accuracy_neg")
    if pos is not None and neg is not None and neg < pos:
        raise TGError(
            f"view {view!r} keeps accuracy edges only outside ({neg}, {pos}]: the model prior needs every "
            "pair's normalised accuracy, so rebuild it with accuracy_neg equal to accuracy_pos"
        )
    return settings


def _log(v: Any) -> float:
    return math.log10(float(v)) if v is not None and not pd.isna(v) and float(v) > 0 else math.nan


@dataclass
class Side:
    """What a pair's row joins besides its graph features, prepared once per modality and indexed, so
    a block of pairs looks its models and datasets up instead of merging with every model."""

    models: pd.DataFrame  # by model: MODEL_NUM, MODEL_CAT, source_dataset
    datasets: pd.DataFrame  # by dataset: DATASET_NUM
    transfer: dict[str, pd.DataFrame]  # metric column -> by (model, dataset): the score and its z


def side(models: Any, datasets: Any, transfer: Any) -> Side:
    """From rows (dicts), columns (a dict of lists) or frames of the three metadata queries."""
    m = pd.DataFrame(models, columns=["model", "num_parameters", "memory_bytes", *MODEL_NUM[2:], *MODEL_CAT,
                                      "source_dataset"])  # fmt: skip
    m["log_parameters"] = m["num_parameters"].map(_log)
    m["log_memory"] = m["memory_bytes"].map(_log)
    m = m.drop_duplicates("model").set_index("model")[[*MODEL_NUM, *MODEL_CAT, "source_dataset"]]
    d = pd.DataFrame(datasets, columns=["dataset", "num_samples", "num_classes"])
    d["log_samples"] = d["num_samples"].map(_log)
    d["log_classes"] = d["num_classes"].map(_log)
    d = d.drop_duplicates("dataset").set_index("dataset")[DATASET_NUM]
    t = pd.DataFrame(transfer, columns=["model", "dataset", "metric", "score", "z"])
    scores = {}
    for metric, name in METRICS.items():
        part = t[t["metric"] == metric].rename(columns={"score": name, "z": f"{name}_z"})
        scores[name] = part.drop_duplicates(["model", "dataset"]).set_index(["model", "dataset"])[
            [name, f"{name}_z"]
        ]
    return Side(m, d, scores)


def assemble(
    graph_rows: list[dict[str, Any]] | pd.DataFrame,
    models: Any,
    datasets: Any,
    transfer: Any,
    vectors: dict[tuple[str, str], list[float]] | None = None,
) -> FeatureTable:
    """Join the query results into one frame (pure: the unit tests call it with hand-made rows)."""
    return join(graph_rows, side(models, datasets, transfer), vectors)


def join(
    graph_rows: list[dict[str, Any]] | pd.DataFrame,
    known: Side,
    vectors: dict[tuple[str, str], list[float]] | None = None,
) -> FeatureTable:
    """One row per graph row, with the model's metadata, the dataset's features, the pair's
    transferability scores and (given `vectors`) the embeddings; sorted by dataset, then model."""
    g = graph_rows.copy() if isinstance(graph_rows, pd.DataFrame) else pd.DataFrame(graph_rows)
    if g.empty:
        raise TGError("the view has no (model, dataset) pair for this modality")
    hist = pd.DataFrame(g.pop("sim_hist").tolist(), columns=SIM_HIST, index=g.index)
    g = pd.concat([g, hist], axis=1)
    parts = [g, known.models.reindex(g["model"]).set_index(g.index),
             known.datasets.reindex(g["dataset"]).set_index(g.index)]  # fmt: skip
    pairs = pd.MultiIndex.from_arrays([g["model"], g["dataset"]])
    parts += [scores.reindex(pairs).set_index(g.index) for scores in known.transfer.values()]
    frame = pd.concat(parts, axis=1)
    missing = []
    if frame["prior"].isna().all():
        missing.append("history (no other dataset has runs)")
    if frame[["log_parameters", "model_type", "source_accuracy"]].isna().all().all():
        missing.append("model metadata")
    if frame["log_samples"].isna().all():
        missing.append("dataset features")
    if frame["nearest_sim"].fillna(0).eq(0).all():
        missing.append("dataset similarity")
    for metric, name in METRICS.items():
        if frame[name].isna().all():
            missing.append(metric)
    emb_cols: list[str] = []
    if vectors:
        dim = len(next(iter(vectors.values())))
        mcols = [f"m_e{i}" for i in range(dim)]
        dcols = [f"d_e{i}" for i in range(dim)]
        mv = {k[1]: v for k, v in vectors.items() if k[0] == "Model"}
        dv = {k[1]: v for k, v in vectors.items() if k[0] == "Dataset"}
        nan = [math.nan] * dim
        me = pd.DataFrame([mv.get(x, nan) for x in frame["model"]], columns=mcols, index=frame.index)
        de = pd.DataFrame([dv.get(x, nan) for x in frame["dataset"]], columns=dcols, index=frame.index)
        a, b = me.to_numpy(float), de.to_numpy(float)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)  # NaN where a vector is missing
        cosine = pd.Series((a * b).sum(axis=1) / np.where(norms > 0, norms, np.nan), index=frame.index)
        frame = pd.concat([frame, me, de, cosine.rename(EMBEDDING_COSINE)], axis=1)
        emb_cols = mcols + dcols
    frame["label"] = frame["label"].astype(float)
    frame = frame.sort_values(["dataset", "model"], kind="stable").reset_index(drop=True)
    return FeatureTable(frame, missing, emb_cols)


def fetch(
    drv: neo4j.Driver, view: str, modality: str, *, datasets: list[str] | None = None,
    candidates: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What `assemble` joins: the view's collaborative features (sparse algebra over its edges,
    `collaborative.py`; equal to `cypher/features/graph.cypher`, which the tests keep as the
    reference), model metadata, dataset features and transferability scores. `candidates`: per
    dataset only its tried models and the `candidates` best others by the prior (recall), instead of
    every model; None (or at least the number of models) gives every pair."""
    from transfergraph.features import collaborative  # scipy: the [ml] extra

    view_settings(drv, view)
    edges = collaborative.export(drv, view, modality)
    return {
        "graph_rows": (
            collaborative.graph_frame(edges, TAUS, datasets)
            if candidates is None
            else collaborative.recalled_frame(edges, TAUS, candidates, datasets)
        ),
        "models": run(drv, "features/models", modality=modality),
        "datasets": run(drv, "features/datasets", modality=modality),
        "transfer": run(drv, "features/transfer", modality=modality),
    }


def side_of(
    drv: neo4j.Driver, modality: str, *, models: list[str] | None = None, datasets: list[str] | None = None
) -> Side:
    """The modality's model metadata, dataset features and transferability scores, streamed; or, for
    a refresh, the metadata of `models` and the scores of `datasets` only."""
    if models is None:
        found = columns(drv, "features/models", modality=modality)
    else:
        found = columns(drv, "features/models_by_id", modality=modality, ids=models)
    if datasets is None:
        transfer = columns(drv, "features/transfer", modality=modality)
    else:
        parts = [columns(drv, "features/transfer_dataset", modality=modality, dataset=d) for d in datasets]
        transfer = {k: [v for part in parts for v in part.get(k, [])] for k in parts[0]} if parts else {}
    return side(found, columns(drv, "features/datasets", modality=modality), transfer)


def assemble_raw(
    raw: dict[str, Any], vectors: dict[tuple[str, str], list[float]] | None = None
) -> FeatureTable:
    return assemble(raw["graph_rows"], raw["models"], raw["datasets"], raw["transfer"], vectors)


def build_table(
    drv: neo4j.Driver,
    view: str,
    modality: str,
    *,
    datasets: list[str] | None = None,
    vectors: dict[tuple[str, str], list[float]] | None = None,
    candidates: int | None = None,
) -> FeatureTable:
    """The (model, dataset) pairs of `modality` in `view` (all datasets, or only `datasets`): every
    model, or per dataset its tried models and the `candidates` best others by the prior."""
    return assemble_raw(fetch(drv, view, modality, datasets=datasets, candidates=candidates), vectors)


def embedding_vectors(
    drv: neo4j.Driver, settings: Settings, view: str, method: EmbedMethod, seed: int, *, fresh: bool
) -> dict[tuple[str, str], list[float]]:
    """The view's vectors of `method`: the stored ones unless `fresh` (or none are stored), else
    embedded now with `seed` (the evaluation embeds each seed anew)."""
    from transfergraph import embed

    if not fresh:
        found = embed.vectors(drv, view, method)
        if found:
            return found
    embed.embed(drv, settings, view, method, seed=seed, show_progress=False)
    return embed.vectors(drv, view, method)


def training_datasets(drv: neo4j.Driver, view: str, modality: str) -> list[str]:
    return [r["dataset"] for r in run(drv, "features/view_datasets", view=view, modality=modality)]


class Encoder:
    """Numeric fills (training median) with missing indicators, one-hot categories seen in training.

    Fitted on training rows only, then applied unchanged to the rows to predict.
    """

    def __init__(self, numeric: list[str], categorical: list[str], min_count: int = 3):
        self.numeric = numeric
        self.categorical = categorical
        self.min_count = min_count
        self.fills: dict[str, float] = {}
        self.indicators: list[str] = []
        self.levels: dict[str, list[str]] = {}

    def fit(self, train: pd.DataFrame) -> Encoder:
        for c in self.numeric:
            col = pd.to_numeric(train[c], errors="coerce")
            med = col.median()
            self.fills[c] = 0.0 if pd.isna(med) else float(med)
            if col.isna().any():
                self.indicators.append(c)
        for c in self.categorical:
            counts = train[c].fillna("<missing>").astype(str).value_counts()
            self.levels[c] = sorted(counts[counts >= self.min_count].index)
        return self

    @property
    def names(self) -> list[str]:
        return (
            list(self.numeric)
            + [f"{c}_missing" for c in self.indicators]
            + [f"{c}={v}" for c in self.categorical for v in self.levels[c]]
        )

    def transform(self, rows: pd.DataFrame) -> np.ndarray:
        parts = []
        for c in self.numeric:
            parts.append(pd.to_numeric(rows[c], errors="coerce").fillna(self.fills[c]).to_numpy(float))
        for c in self.indicators:
            parts.append(rows[c].isna().to_numpy(float))
        for c in self.categorical:
            values = rows[c].fillna("<missing>").astype(str)
            for v in self.levels[c]:
                parts.append((values == v).to_numpy(float))
        if not parts:
            return np.zeros((len(rows), 0))
        return np.column_stack(parts)
