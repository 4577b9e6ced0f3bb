"""Building views of the learning graph: thresholded edges derived in Cypher (`cypher/graph/`).

A *view* is the graph as seen when predicting for one target: its derived edges carry
`view: NAME`. A target's view is computed without the target's fine-tuning runs (hidden, never
deleted); the production view `all` uses all history. Views coexist and are dropped by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import neo4j

from transfergraph import views as view_names
from transfergraph.choices import THRESHOLDS as RANGES
from transfergraph.choices import Aggregate, RunRegime
from transfergraph.db import run
from transfergraph.errors import ParameterError, TGError
from transfergraph.loaders.storable import key_problem
from transfergraph.results import Record, Table


@dataclass(frozen=True)
class BuildSettings:
    """How a view is derived. Defaults: the paper's shipped configuration (docs/method.md)."""

    accuracy_pos: float = 0.5
    accuracy_neg: float = 0.5
    transfer_pos: float = 0.5
    transfer_neg: float = 0.5
    similarity: float = 0.0  # 0 keeps every pair but the farthest, like the paper's code
    runs: RunRegime = RunRegime.full
    aggregate: Aggregate = Aggregate.mean
    pretrained: bool = True
    logme: bool = False
    metric: str = "LogME"
    # similarity edges from the probes computed here only (fingerprints), not the published matrix:
    # how `tg evaluate --similarity computed` measures a placement by probe embeddings
    computed_similarity: bool = False

    def __post_init__(self) -> None:
        # a caller may pass plain strings: turn them into the enums, or refuse with one line
        for name, choice in (("runs", RunRegime), ("aggregate", Aggregate)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, choice(value))
            except ValueError:
                options = ", ".join(choice)
                raise ParameterError(name, f"{value!r}: expected one of {options}") from None
        self.check()

    def with_thresholds(self, assignments: list[str]) -> BuildSettings:
        """Apply `NAME=VALUE` overrides, rejecting unknown names and out-of-range values."""
        changes: dict[str, Any] = {}
        for text in assignments:
            name, sep, raw = text.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or name not in RANGES:
                names = ", ".join(RANGES)
                raise ParameterError("threshold", f"{text!r}: expected NAME=VALUE with NAME one of {names}")
            try:
                value = float(raw)
            except ValueError:
                raise ParameterError("threshold", f"{text!r}: {raw!r} is not a number") from None
            lo, hi = RANGES[name]
            if not lo <= value <= hi:
                raise ParameterError("threshold", f"{text!r}: {name} must be within [{lo:g}, {hi:g}]")
            changes[name] = value
        return replace(self, **changes)

    def check(self) -> None:
        if self.accuracy_neg > self.accuracy_pos:
            raise TGError("accuracy_neg must not exceed accuracy_pos (an edge cannot be both)")
        if self.transfer_neg > self.transfer_pos:
            raise TGError("transfer_neg must not exceed transfer_pos (an edge cannot be both)")

    def params(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, RunRegime | Aggregate) else v for k, v in asdict(self).items()}


def view_name(target: str | None, name: str | None) -> str:
    return check_view_name(name or (view_names.held_out(target) if target else view_names.PRODUCTION))


def check_view_name(view: str) -> str:
    """`view`, or TGError: a view name is stored on every derived edge, so it has the ids' limits
    (at most MAX_KEY_BYTES of UTF-8, not blank, valid Unicode)."""
    problem = key_problem(view, "view name")
    if problem:
        raise ParameterError("view", f"{view!r}: {problem}")
    return view


@dataclass(frozen=True)
class BuiltView(Record):
    """One view built: its derived edges by type."""

    view: str
    target: str | None  # the dataset whose runs it hides (None: the production view, all history)
    accuracy_edge: int
    pretrained_edge: int
    transfer_edge: int
    similarity_edge: int

    @classmethod
    def of(cls, view: str, target: str | None, counts: dict[str, int]) -> BuiltView:
        return cls(view, target, **{k.lower(): v for k, v in counts.items()})


@dataclass(frozen=True)
class GraphBuild(Table[BuiltView]):
    """The views one `graph_build` built, in order."""


@dataclass(frozen=True)
class ViewInfo(Record):
    """A view that exists, and how it was built (`properties`: every setting, as stored)."""

    name: str
    target: str | None
    modality: str | None
    edges: int | None
    built_at: Any
    properties: dict[str, Any]

    @classmethod
    def of(cls, row: dict[str, Any]) -> ViewInfo:
        return cls(
            row["name"], row.get("target"), row.get("modality"), row.get("edges"), row.get("built_at"), row
        )


@dataclass(frozen=True)
class ViewList(Table[ViewInfo]):
    """Every view of the graph, by name."""


@dataclass(frozen=True)
class ModalityStats(Record):
    """One modality of a view: the rows of the paper's "Properties of the constructed graph" table,
    and the paper's own figures beside them (`paper`, None for a modality the paper lacks)."""

    modality: str
    view: str
    models: int
    datasets: int
    nodes: int
    average_degree: float
    dataset_dataset: int
    accuracy_pos: int
    accuracy_neg: int
    pretrained_pos: int
    pretrained_neg: int
    transfer_pos: int
    transfer_neg: int
    paper: dict[str, Any] | None


@dataclass(frozen=True)
class GraphStats(Table[ModalityStats]):
    """A view's statistics, one row per modality."""

    view: str = ""


def build(drv: neo4j.Driver, target: str | None, view: str, settings: BuildSettings) -> dict[str, int]:
    """(Re)derive every edge of `view`; returns edge counts by type. Idempotent: replaces the view."""
    check_view_name(view)
    modality = None
    if target is not None:
        found = run(drv, "graph/dataset_modality", id=target)
        if not found:
            raise ParameterError("target", f"{target!r}: no such dataset in the graph (ingest it first)")
        modality = found[0]["modality"]
    params = {**settings.params(), "view": view, "target": target, "modality": modality, "dataset": None}
    clear(drv, view)
    counts = {"ACCURACY_EDGE": _accuracy(drv, params, target, modality)}
    counts["PRETRAINED_EDGE"] = (
        run(drv, "graph/pretrained", **params)[0]["edges"] if settings.pretrained else 0
    )
    counts["TRANSFER_EDGE"] = run(drv, "graph/transfer", **params)[0]["edges"] if settings.logme else 0
    counts["SIMILARITY_EDGE"] = _similarity(drv, params, modality)
    record = {**settings.params(), "modality": modality, "edges": sum(counts.values())}
    run(drv, "graph/view_node", view=view, target=target, settings=record)
    return counts


BLOCK_RUNS = 500_000  # fine-tuning runs whose accuracy edges one transaction derives
CLEAR_BATCH = 100_000  # derived edges one transaction removes


def clear(drv: neo4j.Driver, view: str) -> tuple[int, int]:
    """Remove a view's derived edges, CLEAR_BATCH at a time, then its node and embeddings; returns
    (edges removed, view nodes removed)."""
    removed = 0
    while found := run(drv, "graph/clear_view_edges", view=view, batch=CLEAR_BATCH)[0]["removed"]:
        removed += found
    result = run(drv, "graph/clear_view", view=view)[0]
    return removed + int(result["removed"]), int(result["views"])


def _accuracy(drv: neo4j.Driver, params: dict[str, Any], target: str | None, modality: str | None) -> int:
    """The view's accuracy edges, derived for blocks of datasets of at most BLOCK_RUNS runs each.
    A build that hides no target also stores each dataset's tried summary (count and best of the
    models tried on it, tried/count.cypher) while it reads the runs, so that `tg recommend` does
    not count a popular dataset's runs each time."""
    edges, runs = 0, 0
    block: list[str] = []
    rows = run(drv, "graph/run_counts", modality=modality, target=target)
    for i, row in enumerate(rows):
        block.append(row["dataset"])
        runs += row["runs"]
        if runs >= BLOCK_RUNS or i == len(rows) - 1:
            edges += run(drv, "graph/accuracy", **params, datasets=block)[0]["edges"]
            if target is None:
                run(drv, "tried/store", rows=run(drv, "tried/count", datasets=block))
            block, runs = [], 0
    return edges


def _similarity(drv: neo4j.Driver, params: dict[str, Any], modality: str | None) -> int:
    """Similarity edges of every probe the view uses (all modalities when `modality` is None)."""
    edges = 0
    for row in run(drv, "graph/probes", computed_only=params["computed_similarity"]):
        if modality is None or row["modality"] == modality:
            edges += run(drv, "graph/similarity", **params, probe=row["probe"])[0]["edges"]
    return int(edges)


def refresh_dataset(drv: neo4j.Driver, view: str, dataset: str) -> dict[str, int]:
    """Re-derive what new facts about one dataset change in an existing view, with the view's own
    settings: its accuracy and transferability edges (normalised within the dataset) and its
    modality's similarity edges (a new distance can move a probe's min-max range). The rest of the
    view is untouched; returns edge counts by type."""
    rows = run(drv, "features/view", view=view)
    if not rows:
        raise TGError(f"no view named {view!r}: build it with `tg graph build`")
    recorded = rows[0]["view"]
    found = run(drv, "graph/dataset_modality", id=dataset)
    if not found:
        raise ParameterError("dataset", f"{dataset!r}: no such dataset in the graph")
    if recorded.get("target") == dataset:
        raise TGError(f"view {view!r} hides {dataset!r}: refresh another view")
    modality = found[0]["modality"]
    if recorded.get("modality") not in (None, modality):
        raise TGError(f"view {view!r} is of {recorded['modality']} datasets, {dataset!r} is {modality}")
    fields = {k: recorded[k] for k in BuildSettings.__dataclass_fields__ if k in recorded}
    settings = BuildSettings(**fields)
    params = {**settings.params(), "view": view, "target": recorded.get("target"), "modality": modality,
              "dataset": dataset}  # fmt: skip
    run(drv, "graph/clear_dataset", view=view, dataset=dataset)
    counts = {"ACCURACY_EDGE": run(drv, "graph/accuracy", **params, datasets=[dataset])[0]["edges"]}
    counts["TRANSFER_EDGE"] = run(drv, "graph/transfer", **params)[0]["edges"] if settings.logme else 0
    counts["SIMILARITY_EDGE"] = _similarity(drv, params, modality)  # the whole probe: min-max range
    run(drv, "graph/restamp", view=view)
    return counts


def drop(drv: neo4j.Driver, view: str) -> int:
    removed, views = clear(drv, view)
    if views == 0 and removed == 0:
        raise TGError(f"no view named {view!r} (see `tg graph views`)")
    return removed


def views(drv: neo4j.Driver) -> list[dict[str, Any]]:
    return [row["view"] for row in run(drv, "graph/views")]


STAT_COUNTS = (
    "models", "datasets", "nodes", "average_degree", "dataset_dataset", "accuracy_pos", "accuracy_neg",
    "pretrained_pos", "pretrained_neg", "transfer_pos", "transfer_neg",
)  # fmt: skip
# The paper's "Properties of the constructed graph" table (ICDE 2024). Its D-D count is of directed
# edges (each pair twice) and its average degree is edges / nodes; see docs/method.md, "The learning graph".
PAPER_STATS = {
    "image": {
        "nodes": 265,
        "average_degree": 20.1,
        "dataset_dataset": 5256,
        "accuracy": 1753,
        "transfer": 916,
    },
    "text": {"nodes": 188, "average_degree": 8.6, "dataset_dataset": 550, "accuracy": 918, "transfer": 419},
}


def stats(drv: neo4j.Driver, view: str) -> list[dict[str, Any]]:
    """Per modality: the rows of the paper's 'Properties of the constructed graph' table."""
    if not any(v["name"] == view for v in views(drv)):
        raise TGError(f"no view named {view!r}: build it with `tg graph build` (see `tg graph views`)")
    table: dict[str, dict[str, Any]] = {}

    def row(modality: str) -> dict[str, Any]:
        if modality not in table:
            table[modality] = {"modality": modality, "view": view, **dict.fromkeys(STAT_COUNTS, 0)}
        return table[modality]

    for r in run(drv, "graph/node_counts", view=view):
        key = "models" if r["label"] == "Model" else "datasets"
        row(r["modality"])[key] += r["nodes"]
    names = {"ACCURACY_EDGE": "accuracy", "PRETRAINED_EDGE": "pretrained", "TRANSFER_EDGE": "transfer"}
    for r in run(drv, "graph/edge_counts", view=view):
        target = row(r["modality"])
        if r["type"] == "SIMILARITY_EDGE":
            target["dataset_dataset"] += r["edges"]
        else:
            target[f"{names[r['type']]}_{'pos' if r['positive'] else 'neg'}"] += r["edges"]
    for t in table.values():
        t["nodes"] = t["models"] + t["datasets"]
        edges = t["dataset_dataset"] + t["accuracy_pos"] + t["pretrained_pos"] + t["transfer_pos"]
        t["average_degree"] = round(2 * edges / t["nodes"], 2) if t["nodes"] else 0.0
        t["paper"] = PAPER_STATS.get(t["modality"])
    return [table[m] for m in sorted(table)]
