"""`tg recommend`: read PREDICTED back from the production view, with the evidence behind each rank.

This path is on every user's critical path: it imports neither pandas, numpy, sklearn, xgboost nor
torch (tests/server/test_recommend.py checks sys.modules).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import neo4j

from transfergraph import views
from transfergraph.db import run
from transfergraph.errors import ParameterError, TGError

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Recommendation:
    """Models ranked for one dataset by one method's predictions, and the models already tried."""

    dataset: str
    modality: str
    method: str
    view: str
    stale: str | None  # a warning when the predictions are older than the latest ingest or build
    rows: list[dict[str, Any]]  # rank, model, score, measured, architecture, ..., evidence
    exclude_tried: bool
    measured: list[dict[str, Any]] = field(default_factory=list)  # model, accuracy, runs, regimes
    fallback: str | None = None  # "used RANKER: why", when `tg predict` fell back for lack of inputs
    more: str | None = None  # how to get more models, when fewer than asked were stored
    no_interval: str | None = None  # why there is no expected accuracy with an 80% interval
    tried: int | None = None  # how many models `measured` stands for, when it holds only the best

    @staticmethod
    def evidence_text(row: dict[str, Any]) -> str:
        """A row's evidence as one line (what the DataFrame and the CSV show)."""
        return evidence_text(row)

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain data (`tried` only when set, so the full listing keeps its shape)."""
        data = asdict(self)
        if self.tried is None:
            del data["tried"]
        return data

    def frame(self) -> pd.DataFrame:
        """The ranking as a DataFrame (evidence as one line per model); the rest in `.attrs`."""
        import pandas as pd

        frame = pd.DataFrame(
            [{**r, "evidence": evidence_text(r)} for r in self.rows],
            columns=["rank", "model", "expected", "low", "high", "score", "measured", "architecture",
                     "model_type", "parameters", "logme", "evidence"],
        )  # fmt: skip
        frame.attrs = {k: v for k, v in self.to_dict().items() if k != "rows"}
        return frame


def unknown_dataset(drv: neo4j.Driver, dataset: str) -> TGError:
    ids = [r["id"] for r in run(drv, "readback/datasets")]
    close = difflib.get_close_matches(dataset, ids, n=5, cutoff=0.5)
    if not close:
        lowered = dataset.lower()
        close = sorted(i for i in ids if lowered in i.lower())[:5]
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return TGError(f"unknown dataset {dataset!r}{hint}")


def choose_method(context: dict[str, Any], dataset: str, view: str, method: str | None) -> dict[str, Any]:
    """--method, else what `tg evaluate` recorded as best, else the newest predictions there are:
    that method's entry of readback/context's `methods`."""
    available = context["methods"]
    modality = context["modality"]
    if method is None:
        if context["chosen"] is not None:
            method = context["chosen"]
        elif available:
            method = available[0]["method"]
        else:
            raise TGError(
                f"no predictions for {dataset!r} in view {view!r}: run `tg evaluate --modality {modality}` "
                f"to pick a method, then `tg predict --view {view} --method METHOD`"
            )
    found = next((a for a in available if a["method"] == method), None)
    if found is None:
        raise TGError(
            f"no {method} predictions for {dataset!r} in view {view!r}: run `tg predict --view {view} "
            f"--method {method}` (or, for this dataset only, `tg predict --view {view} --method {method} "
            f"--dataset {dataset}`)"
        )
    return dict(found)


def staleness(context: dict[str, Any], predicted: dict[str, Any], view: str) -> str | None:
    """A warning when `predicted` (an entry of readback/context's `methods`) is older than the view's
    last build or than the fine-tuning history."""
    created_at, built_at = predicted["oldest"], context["built_at"]
    runs_then, runs_now = predicted["runs_then"], context["runs_now"]
    reasons = []
    if built_at is not None and created_at is not None and created_at < built_at:
        reasons.append(f"the view {view!r} was rebuilt after them")
    if runs_then is not None and runs_now != runs_then:
        reasons.append(f"the fine-tuning history changed since ({runs_then} -> {runs_now} runs)")
    if not reasons:
        return None
    method = predicted["method"]
    return f"stale predictions: {' and '.join(reasons)}; rerun `tg predict --view {view} --method {method}`"


def _measured(r: dict[str, Any]) -> dict[str, Any]:
    accuracy = None if r["accuracy"] is None else round(r["accuracy"], 4)
    return {"model": r["model"], "accuracy": accuracy, "runs": r["runs"], "regimes": r["regimes"]}


def recommend(
    drv: neo4j.Driver, dataset: str, *, top: int = 10, method: str | None = None,
    view: str = views.PRODUCTION, evidence: int = 3, exclude_tried: bool = True, list_tried: bool = True,
) -> Recommendation:  # fmt: skip
    """Rows ranked by predicted score (without the models already fine-tuned on the dataset unless
    `exclude_tried` is False); `measured` lists those, best first, with their accuracy. With
    `list_tried` False, `measured` holds only the best of them and `tried` their number: what the
    table shows, without reading every tried model of a popular dataset back.

    Two round trips: readback/context (everything but the ranking) and readback/recommend; one more
    for the list of tried models, or for their count and best when no summary is current
    (tried/count.cypher)."""
    if top < 1:
        raise ParameterError("top", "must be at least 1")
    found = run(drv, "readback/context", dataset=dataset, view=view)
    if not found:
        raise unknown_dataset(drv, dataset)
    context = found[0]
    predicted = choose_method(context, dataset, view, method)
    chosen = str(predicted["method"])
    raw = run(
        drv, "readback/recommend", dataset=dataset, view=view, method=chosen, top=top, evidence=evidence,
        exclude_tried=exclude_tried,
    )  # fmt: skip
    rows = []
    for rank, r in enumerate(raw, start=1):
        rows.append(
            {
                "rank": rank,
                "model": r["model"],
                "score": round(r["score"], 4),
                "expected": None if r.get("expected") is None else round(r["expected"], 4),
                "low": None if r.get("low") is None else round(r["low"], 4),
                "high": None if r.get("high") is None else round(r["high"], 4),
                "measured": None if r["measured"] is None else round(r["measured"], 4),
                "architecture": r["architecture"] or r["model_type"],
                "model_type": r["model_type"],
                "parameters": r["num_parameters"],
                "logme": None if r["logme"] is None else round(r["logme"], 4),
                "evidence": [
                    {k: (round(v, 3) if isinstance(v, float) else v) for k, v in e.items()}
                    for e in r["evidence"]
                ],
            }
        )
    fell = next((r for r in raw if r.get("fallback")), None)
    if list_tried:
        measured, tried = [_measured(r) for r in run(drv, "readback/measured", dataset=dataset)], None
    else:
        if not context["summarised"]:  # no summary current since the last build: count them now
            context = {**context, **run(drv, "tried/count", datasets=[dataset])[0]}
        measured, tried = ([] if context["best"] is None else [_measured(context["best"])]), context["tried"]
    return Recommendation(
        dataset, context["modality"], chosen, view, staleness(context, predicted, view), rows, exclude_tried,
        measured,
        None if fell is None else f"ranked by {fell['ranked_by']} ({fell['fallback']})",
        _more(raw, top, view, chosen, dataset),
        next((r["no_interval"] for r in raw if r.get("no_interval")), None),
        tried,
    )  # fmt: skip


def _more(raw: list[dict[str, Any]], top: int, view: str, method: str, dataset: str) -> str | None:
    """When `tg predict` kept fewer models per dataset than asked for here, say how to keep more."""
    stored = next((r["top_k"] for r in raw if r.get("top_k") is not None), None)
    if stored is None or top <= stored or len(raw) < stored:
        return None
    return (
        f"tg predict kept the {stored} best models per dataset: for {top}, run `tg predict --view {view} "
        f"--method {method} --top-k {top}` (or with --dataset {dataset} for this dataset only)"
    )


def evidence_text(row: dict[str, Any]) -> str:
    """One line: the most similar datasets where the model did well (similarity, accuracy)."""
    parts = [
        f"{e['dataset']} (sim {e['similarity']:.2f}, acc {e['accuracy']:.3f})"
        if e.get("accuracy") is not None
        else f"{e['dataset']} (sim {e['similarity']:.2f})"
        for e in row["evidence"]
    ]
    return "; ".join(parts) or "-"
