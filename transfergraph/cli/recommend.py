"""`tg recommend`: which models to fine-tune on a dataset, read back from the production view.

Light on purpose: no pandas, numpy, sklearn, xgboost or torch on this path.
"""

from __future__ import annotations

import json
import sys

import typer

from transfergraph import config, db
from transfergraph.choices import Format
from transfergraph.output import emit


def recommend(
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset id, e.g. cifar100 or glue/sst2."),
    top: int = typer.Option(10, "--top", "-n", help="How many models."),
    method: str | None = typer.Option(
        None, "--method", "-m", help="Which predictions (default: the best of `tg evaluate`)."
    ),
    explain: bool = typer.Option(False, "--explain", help="Show each model's evidence path."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
) -> None:
    """Rank models for a dataset: predicted score, measured accuracy when a run exists, and evidence.

    Examples: tg recommend --dataset cifar100; tg recommend -d glue/sst2 --top 5 --explain --format json
    """
    from transfergraph.readback.recommend import evidence_text
    from transfergraph.readback.recommend import recommend as run_recommend

    with db.connect(config.load()) as drv:
        result = run_recommend(drv, dataset, top=top, method=method)
    if result["stale"]:
        print(f"warning: {result['stale']}", file=sys.stderr)
    if fmt is Format.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    rows = []
    for r in result["rows"]:
        row = {
            "rank": r["rank"],
            "model": r["model"],
            "score": r["score"],
            "measured": "" if r["measured"] is None else f"{r['measured']:.4f} (measured)",
            "architecture": r["architecture"],
            "parameters": r["parameters"],
            "logme": r["logme"],
        }
        best = r["evidence"][0] if r["evidence"] else None
        row["evidence"] = (
            evidence_text(r)
            if explain
            else (f"{best['dataset']} (sim {best['similarity']:.2f})" if best else "-")
        )
        rows.append(row)
    if fmt is Format.csv:
        emit(rows, fmt)
        return
    emit(rows, fmt, title=f"{result['dataset']}: {result['method']} (view {result['view']})")
    if explain:
        for r in result["rows"]:
            print(f"{r['rank']}. {r['model']}")
            for e in r["evidence"]:
                acc = "" if e.get("accuracy") is None else f", accuracy {e['accuracy']:.3f}"
                print(
                    f"   {r['model']} -[ACCURACY_EDGE norm {e['normalised_accuracy']:.2f}{acc}]-> "
                    f"{e['dataset']} -[SIMILARITY_EDGE {e['similarity']:.2f}]- {result['dataset']}"
                )
            if not r["evidence"]:
                print("   no similar dataset on which this model did well")
