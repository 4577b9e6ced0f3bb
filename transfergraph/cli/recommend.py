"""`tg recommend`: which models to fine-tune on a dataset, read back from the production view.

Light on purpose: no pandas, numpy, sklearn, xgboost or torch on this path.
"""

from __future__ import annotations

import json
import sys

import typer

from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt, WideOpt
from transfergraph.output import emit


def _millions(parameters: int | None) -> str:
    return "" if parameters is None else f"{parameters / 1e6:,.0f}M"


def _best_evidence(row: dict[str, object]) -> str:
    """The most similar dataset where the model did well: `name sim/acc`."""
    evidence = row["evidence"]
    if not isinstance(evidence, list) or not evidence:
        return "-"
    e = evidence[0]
    acc = "" if e.get("accuracy") is None else f" acc {e['accuracy']:.2f}"
    return f"{e['dataset']} sim {e['similarity']:.2f}{acc}"


def _print_measured(result: dict[str, object]) -> None:
    """The models already fine-tuned on the dataset, apart from the ranking: count and the best."""
    measured = result["measured"]
    if not isinstance(measured, list) or not measured or not result["exclude_tried"]:
        return
    best, tried = measured[0], result.get("tried") or len(measured)
    accuracy = "" if best["accuracy"] is None else f" {best['accuracy']:.3f}"
    print(f"already fine-tuned on {result['dataset']}: {tried} models, best {best['model']}{accuracy}")
    print("(--include-tried ranks them too; --format json lists them all)")


def recommend(
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset id, e.g. cifar100 or glue/sst2."),
    top: int = typer.Option(10, "--top", "-n", help="How many models."),
    method: str | None = typer.Option(
        None, "--method", "-m", help="Which predictions (default: the best of `tg evaluate`)."
    ),
    explain: bool = typer.Option(False, "--explain", help="Show each model's evidence path."),
    exclude_tried: bool = typer.Option(
        True,
        "--exclude-tried/--include-tried",
        help="Rank only the models not yet fine-tuned on the dataset (the tried ones are listed apart).",
    ),
    next_k: int | None = typer.Option(
        None, "--next", min=1, help="Propose the K untried models to fine-tune next (same as --top K)."
    ),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Rank the models not yet tried on a dataset: predicted score, evidence, and apart, the models
    already fine-tuned on it with their accuracy.

    Examples: tg recommend --dataset cifar100; tg recommend -d my_reviews --next 3;
    tg recommend -d glue/sst2 --top 5 --include-tried --explain --format json
    """
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        include_tried = not (exclude_tried or next_k is not None)
        recommendation = tg.recommendation(
            dataset, top=next_k or top, method=method, include_tried=include_tried,
            list_tried=fmt is Format.json,  # the table shows how many and the best; csv has only the ranking
        )  # fmt: skip
    result = recommendation.to_dict()
    if result["stale"]:
        print(f"warning: {result['stale']}", file=sys.stderr)
    if result["more"]:
        print(f"note: {result['more']}", file=sys.stderr)
    if fmt is Format.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    if fmt is Format.csv:
        rows = [{**r, "evidence": recommendation.evidence_text(r)} for r in result["rows"]]
        emit(rows, fmt)
        return
    # What a person scans for in 80 columns; --format json|csv has architecture, LogME and all evidence.
    rows = [
        {
            "rank": r["rank"],
            "model": r["model"],
            **(
                {"expected": f"{r['expected']:.2f}", "80% interval": f"{r['low']:.2f}-{r['high']:.2f}"}
                if r.get("expected") is not None
                else {"score": f"{r['score']:.3f}"}
            ),
            "measured": "" if r["measured"] is None else f"{r['measured']:.3f}",
            "type": r["model_type"] or r["architecture"] or "",
            "params": _millions(r["parameters"]),
            "evidence": _best_evidence(r),
        }
        for r in result["rows"]
    ]
    title = f"{result['dataset']}: {result['method']} (view {result['view']}); measured = a real run exists"
    if result["exclude_tried"]:
        for r in rows:
            del r["measured"]
        title = f"{result['dataset']}: untried models, {result['method']} (view {result['view']})"
    if next_k is not None:
        title = f"{result['dataset']}: the {next_k} models to fine-tune next ({result['method']})"
    if result["fallback"]:
        print(f"{result['method']}: {result['fallback']}")
    if result["no_interval"]:
        print(f"{result['method']}: {result['no_interval']} (the score is unitless)")
    emit(rows, fmt, title=title, ids=("model",), secondary=("type", "params", "evidence"), wide=wide)
    _print_measured(result)
    if next_k is not None:
        print(
            f"then: tg ingest runs RESULTS.csv ... (your accuracies on {result['dataset']}), "
            f"tg predict --dataset {result['dataset']}, and ask again"
        )
    if explain:
        for r in result["rows"]:
            print(f"{r['rank']}. {r['model']}")
            for e in r["evidence"]:
                acc = "" if e.get("accuracy") is None else f"accuracy {e['accuracy']:.3f}, "
                print(
                    f"   -[ACCURACY_EDGE {acc}norm {e['normalised_accuracy']:.2f}]-> {e['dataset']}"
                    f" -[SIMILARITY_EDGE {e['similarity']:.2f}]- {result['dataset']}"
                )
            if not r["evidence"]:
                print("   no similar dataset on which this model did well")
