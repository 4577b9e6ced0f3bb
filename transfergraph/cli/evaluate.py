"""`tg evaluate`: the leak-free leave-one-target-out protocol, methods beside baselines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from transfergraph.choices import Format, Modality
from transfergraph.cli.options import FormatOpt, ModalityOpt, WideOpt
from transfergraph.errors import TGError
from transfergraph.output import emit

# What a person scans for in 80 columns; --format json has the per-target rows, std and w-Kendall.
SUMMARY_COLUMNS = {
    "method": "method",
    "kind": "kind",
    "pearson": "Pearson",
    "pearson (weighted)": "weighted",
    "top-1 regret": "top-1",
    "top-3 regret": "top-3",
    "ndcg@5": "NDCG@5",
}
PAIRED_COLUMNS = {"method": "method", "top-3 regret": "top-3 regret", "top-1 regret": "top-1 regret",
                  "ndcg@5": "NDCG@5", "targets": "targets"}  # fmt: skip


def _interval(c: dict[str, Any]) -> str:
    """mean [low, high], with * when significantly better and ! when clearly worse."""
    if c["n_targets"] < 2:
        return f"{c['mean']:+.2f} (n={c['n_targets']})"
    mark = "*" if c["better"] else "!" if c["worse"] else ""
    digits = 3 if c["metric"] == "ndcg5" else 2
    return f"{c['mean']:+.{digits}f} [{c['low']:+.{digits}f}, {c['high']:+.{digits}f}]{mark}"


def paired_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per method: its paired difference to the strongest baseline on each metric."""
    rows: dict[str, dict[str, Any]] = {}
    names = {"top3_regret": "top-3 regret", "top1_regret": "top-1 regret", "ndcg5": "ndcg@5"}
    for c in result["comparisons"]:
        row = rows.setdefault(c["method"], {"method": c["method"], "targets": c["n_targets"]})
        row[names[c["metric"]]] = _interval(c)
    return list(rows.values())


def summary_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "method": s["method"],
            "kind": s["kind"],
            "pearson": round(s["pearson_plain"], 3),
            "pearson (weighted)": round(s["pearson_weighted"], 3),
            "std": round(s["pearson_std"], 3),
            "w-kendall (weighted)": round(s["weighted_kendall_weighted"], 3),
            "top-1 regret": round(s["top1_regret_mean"], 2),
            "top-3 regret": round(s["top3_regret_mean"], 2),
            "ndcg@5": round(s["ndcg5_mean"], 3),
            "targets": s["n_targets"],
        }
        for s in result["summary"]
    ]
    if result["paper"]:
        p = result["paper"]
        rows.append({"method": f"paper {p['method']} (leaky)", "kind": "published",
                     "pearson": p["pearson_plain"], "pearson (weighted)": p["pearson_weighted"]})  # fmt: skip
    return rows


# One table per k in 80 columns: each zero-shot ranking, then its few-shot version ("  +shots") with
# the gains (few-shot minus zero-shot) of the plain and the weighted (wtd) mean Pearson.
SHOTS_COLUMNS = {
    "method": "method",
    "pearson": "Pearson",
    "pearson (weighted)": "wtd",
    "top-1 regret": "regret",
    "ndcg@5": "NDCG@5",
    "gain": "gain",
    "gain (weighted)": "gain w",
}


def _signed(value: float) -> str:
    """+0.012 / -0.004; a rounding-level difference shows as +0.000, never -0.000."""
    return f"{round(value, 3) + 0.0:+.3f}"


def shots_rows(result: dict[str, Any], k: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in result["summary"]:
        if s["shots"] != k:
            continue
        few = s["variant"] == "few-shot"
        row = {
            "method": "  +shots" if few else s["method"],
            "full name": s["method"],
            "pearson": round(s["pearson_plain"], 3),
            "pearson (weighted)": round(s["pearson_weighted"], 3),
            "top-1 regret": round(s["top1_regret_mean"], 2),
            "ndcg@5": round(s["ndcg5_mean"], 3),
        }
        if few:
            row |= {
                "gain": _signed(s["gain_pearson_plain"]),
                "gain (weighted)": _signed(s["gain_pearson_weighted"]),
            }
        rows.append(row)
    return rows


def evaluate(
    modality: Modality = ModalityOpt,
    targets: list[str] = typer.Option(
        [],
        "--targets",
        "-t",
        help="Target datasets (repeatable; default: the paper's eight); 'auto': every dataset with at "
        "least --min-models measured models.",
    ),
    min_models: int = typer.Option(20, "--min-models", help="With --targets auto: models a target needs."),
    similarity: str = typer.Option(
        "published",
        "--similarity",
        help="Dataset similarity: 'published' (the paper's matrix first, then computed distances) or "
        "'computed' (only the probes embedded here: tg dataset embed, tg ingest fingerprints).",
    ),
    methods: list[str] = typer.Option(
        [], "--methods", "-m", help="REGRESSOR+EMBEDDING (repeatable; default: lr/rf/xgb/xgb-rank+none)."
    ),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per method (mean and std are reported)."),
    shots: list[int] = typer.Option(
        [], "--shots", help="Few-shot: reveal K of each target's runs, rank the rest (repeatable; no record)."
    ),
    draws: int = typer.Option(5, "--draws", help="With --shots: random reveals per target (seeds 0..N-1)."),
    record: bool = typer.Option(True, "--record/--no-record", help="Record the best as recommend's default."),
    fmt: Format = FormatOpt,
    report: Path | None = typer.Option(None, "--report", help="Write a markdown report and PNG plots here."),
    wide: bool = WideOpt,
) -> None:
    """Per target: hide its runs (view without:T), embed, train, predict, compare with its best full
    fine-tuning accuracies; baselines on the same models. Metrics per target: top-1 and top-3 regret
    (points lost by fine-tuning the top 1 or top 3 instead of the best model), NDCG@5, Spearman,
    Pearson; each method's paired difference to the strongest baseline with a 95% bootstrap interval.

    The recorded default (what tg recommend uses), a rule fixed in advance: the primary metric is
    top-3 regret; a method replaces the strongest baseline (lowest mean top-3 regret among the
    baselines that rank every target) only when its paired 95% interval on top-3 regret lies below
    zero and neither top-1 regret nor NDCG@5 is clearly worse (its interval wholly on the wrong side).

    With --shots K: K random measured models of each target are revealed (per draw), and every ranking
    is scored beside its few-shot version on the other models; nothing is recorded.

    Examples: tg evaluate --modality image --targets auto; tg evaluate --modality text -t glue/sst2
    -m xgb+node2vec --seeds 1 (one target, one method); tg evaluate --modality text --shots 1
    --shots 3 --shots 5 -m rf+none --seeds 1
    """
    from transfergraph.api import TransferGraph

    if shots and report is not None:
        raise TGError("--report describes the zero-shot evaluation: run it without --shots")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    with TransferGraph() as tg:
        evaluation = tg.evaluate(
            modality.value, targets=targets, methods=methods, seeds=seeds, shots=shots, draws=draws,
            min_models=min_models, similarity=similarity, record=record, log=log,
        )  # fmt: skip
    if shots:
        emit_shots(evaluation.json(), fmt, wide)
        return
    if report is not None:
        evaluation.write_report(report)
    result = evaluation.json() | {"paper": evaluation.paper}
    if fmt is Format.json:
        json.dump(evaluation.json(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    rows = summary_rows(result)
    title = (
        f"{result['modality']}: {len(result['targets'])} targets, {result['seeds']} seed(s), "
        f"{result['seconds']} s; best: {result['best']}"
    )
    emit(
        rows, fmt, title=title, columns=SUMMARY_COLUMNS, ids=("method",), wide=wide,
        secondary=("top-1 regret", "ndcg@5", "pearson (weighted)", "targets", "kind"),
    )  # fmt: skip
    if result["baseline"] and fmt is Format.table:
        title = (
            f"minus {result['baseline']} (the strongest baseline), paired over targets: mean "
            "[95% interval]; * significantly better, ! clearly worse"
        )
        emit(paired_rows(result), fmt, title=title, columns=PAIRED_COLUMNS, ids=("method",),
             secondary=("targets", "ndcg@5", "top-1 regret"), wide=wide)  # fmt: skip
        print(f"rule: {result['rule']}")
    for a in result["similarity_agreement"] or []:
        rho = "n/a" if a["spearman"] is None else f"{a['spearman']:.3f}"
        print(f"similarity: {a['computed_probe']} vs published {a['published_probe']} ({a['modality']}): "
              f"Spearman {rho} over {a['pairs']} pairs")  # fmt: skip
    if result["missing_features"]:
        print(f"missing features: {', '.join(result['missing_features'])}", file=sys.stderr)
    for name, notes in result["notes"].items():
        print(f"{name}: {', '.join(notes)}", file=sys.stderr)


def emit_shots(result: dict[str, Any], fmt: Format, wide: bool = False) -> None:
    """The few-shot result: JSON with the per-(method, k, draw, target) rows, or one table per k."""
    if fmt is Format.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    for k in result["shots"]:
        title = (
            f"{result['modality']}: {k} shot(s), {len(result['targets'])} targets, {result['draws']} draws, "
            f"{result['seeds']} seed(s), {result['seconds']} s"
        )
        emit(shots_rows(result, k), fmt, title=title, columns=SHOTS_COLUMNS, ids=("method",),
             secondary=("top-1 regret", "ndcg@5"), wide=wide)  # fmt: skip
    for name, notes in result["notes"].items():
        print(f"{name}: {', '.join(notes)}", file=sys.stderr)
