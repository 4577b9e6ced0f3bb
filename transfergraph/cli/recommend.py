"""`tg recommend`: which models to fine-tune on a dataset, read back from the production view.

Light on purpose: no pandas, numpy, sklearn, xgboost or torch on this path.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

import typer

from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt, WideOpt
from transfergraph.errors import ParameterError
from transfergraph.output import emit

_COUNT_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
_SIZE_SUFFIX = {
    "": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "k": 10**3, "m": 10**6, "g": 10**9,
    "t": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
_NUMBER = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def _parse(parameter: str, text: str, suffixes: dict[str, int], example: str) -> int:
    """`text` as a whole number with an optional unit suffix (case-insensitive), or ParameterError."""
    found = _NUMBER.fullmatch(text)
    unit = found.group(2).lower() if found else ""
    if found is None or unit not in suffixes:
        raise ParameterError(parameter, f"expected a number such as {example}, got {text!r}")
    value = float(found.group(1)) * suffixes[unit]
    if not math.isfinite(value) or value > 2**63 - 1:
        raise ParameterError(parameter, f"{text!r} is too large")
    if value < 1:
        raise ParameterError(parameter, f"must be at least 1 (got {text!r})")
    return math.floor(value)


def parse_count(text: str, parameter: str = "max_params") -> int:
    """A parameter count as typed: 100000000, 1e8, 100M, 1.5B, 350k."""
    return _parse(parameter, text, _COUNT_SUFFIX, "100000000, 1e8, 100M or 1.5B")


def parse_size(text: str, parameter: str = "max_memory") -> int:
    """Bytes as typed: 2000000000, 2GB or 2G (10^9), 1.5GiB (2^30), 512MB, 512MiB."""
    return _parse(parameter, text, _SIZE_SUFFIX, "2000000000, 2GB, 512MB or 1.5GiB")


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


def _tried_line(result: dict[str, Any]) -> str | None:
    """The models already fine-tuned on the dataset, apart from the ranking: count and the best."""
    best = result["best_tried"]
    if best is None or not result["exclude_tried"]:
        return None
    accuracy = "" if best["accuracy"] is None else f" {best['accuracy']:.3f}"
    unfiltered = " (the filters do not apply to them)" if result["filters"] else ""
    tried = f"{result['tried']} models, best {best['model']}{accuracy}{unfiltered}"
    return f"already fine-tuned on {result['dataset']}: {tried}"


def _list_tried(result: dict[str, Any], fmt: Format, wide: bool) -> None:
    """`--list-tried`: a page of the models already fine-tuned on the dataset, best first."""
    page = result["tried_page"]
    if fmt is Format.json:
        keys = ("dataset", "tried", "best_tried", "tried_page", "measured")
        json.dump({k: result[k] for k in keys}, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    first = page["offset"] + 1
    title = (
        f"{result['dataset']}: models already fine-tuned, best first ({first}-"
        f"{page['offset'] + len(result['measured'])} of {result['tried']}; --offset/--limit page)"
    )
    emit(result["measured"], fmt, title=title, ids=("model",), wide=wide)


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
    max_params: str | None = typer.Option(
        None, "--max-params", help="At most this many parameters: 100000000, 1e8, 100M, 1.5B."
    ),
    max_memory: str | None = typer.Option(
        None,
        "--max-memory",
        help="At most this much float32 weight memory (4 bytes x parameters): 2GB (10^9), 1.5GiB (2^30).",
    ),
    model_type: list[str] = typer.Option(
        [], "--model-type", help="Only this model type, e.g. vit or bert (repeat for any of several)."
    ),
    architecture: list[str] = typer.Option(
        [],
        "--architecture",
        help="Only models with this architecture, e.g. ViTForImageClassification (repeatable).",
    ),
    license: list[str] = typer.Option(
        [], "--license", help="Only models under this licence, e.g. apache-2.0 (repeatable; Hub records)."
    ),
    exclude: list[str] = typer.Option(
        [], "--exclude", help="Leave out the model ids matching this glob, e.g. 'google/*' (repeatable)."
    ),
    list_tried: bool = typer.Option(
        False,
        "--list-tried",
        help="List the models already fine-tuned on the dataset instead, a page at a time.",
    ),
    offset: int = typer.Option(0, "--offset", min=0, help="--list-tried: skip this many (best first)."),
    limit: int = typer.Option(1000, "--limit", min=1, help="--list-tried: at most this many."),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Rank the models not yet tried on a dataset: predicted score, evidence, and apart, the models
    already fine-tuned on it with their accuracy.

    Examples: tg recommend --dataset cifar100; tg recommend -d my_reviews --next 3;
    tg recommend -d cifar100 --max-params 100M --model-type vit --exclude 'google/*';
    tg recommend -d glue/sst2 --top 5 --include-tried --explain --format json
    """
    from transfergraph.api import TransferGraph

    # the text of --max-params / --max-memory as numbers; the facade checks every value before it
    # connects (a bad one is a ParameterError naming the parameter, which the CLI names as its flag)
    params = None if max_params is None else parse_count(max_params)
    memory = None if max_memory is None else parse_size(max_memory)
    include_tried = not (exclude_tried or next_k is not None)
    with TransferGraph() as tg:
        recommendation = tg.recommendation(
            dataset, top=next_k or top, method=method, include_tried=include_tried, list_tried=list_tried,
            tried_offset=offset, tried_limit=limit, max_params=params, max_memory=memory,
            model_type=model_type, architecture=architecture, license=license, exclude=exclude,
        )  # fmt: skip
    result = recommendation.to_dict()
    if result["stale"]:
        print(f"warning: {result['stale']}", file=sys.stderr)
    if list_tried:
        _list_tried(result, fmt, wide)
        return
    if result["more"]:
        print(f"note: {result['more']}", file=sys.stderr)
    if fmt is Format.json:  # what the table shows, as data (--list-tried: the tried models)
        del result["measured"], result["tried_page"]
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    if fmt is Format.csv:  # the rows; the lines around the table go to stderr
        for line in (result["filtered"], _tried_line(result)):
            if line:
                print(f"note: {line}", file=sys.stderr)
        rows = [{**r, "evidence": recommendation.evidence_text(r)} for r in result["rows"]]
        emit(rows, fmt)
        return
    if result["filtered"]:
        print(result["filtered"])
        if not result["rows"]:
            return
    # What a person scans for in 80 columns; --format json|csv has architecture, LogME and all evidence.
    rows = [
        {
            "rank": r["rank"],
            "model": r["model"],
            **(
                {
                    "expected accuracy": f"{r['expected']:.2f}",
                    "80% interval": f"{r['low']:.2f}-{r['high']:.2f}",
                }
                if r.get("expected") is not None
                else {f"{result['method']} score": f"{r['score']:.3f}"}
            ),
            "measured": "" if r["measured"] is None else f"{r['measured']:.3f}",
            "type": r["model_type"] or r["architecture"] or "",
            "params": _millions(r["parameters"]),
            "evidence": _best_evidence(r),
        }
        for r in result["rows"]
    ]
    # say what the number is: an expected accuracy on this dataset, from this method (else its score)
    what = ("expected accuracy from " if "expected" in result["columns"] else "ranked by ") + result["method"]
    title = f"{result['dataset']}: {what} (view {result['view']}); measured = a real run exists"
    if result["exclude_tried"]:
        for r in rows:
            del r["measured"]
        title = f"{result['dataset']}: untried models, {what} (view {result['view']})"
    if next_k is not None:
        title = f"{result['dataset']}: the {next_k} models to fine-tune next ({what})"
    if result["fallback"]:
        print(f"{result['method']}: {result['fallback']}")
    if result["no_interval"]:
        print(f"{result['method']}: {result['no_interval']} (the score is unitless)")
    emit(rows, fmt, title=title, ids=("model",), secondary=("type", "params", "evidence"), wide=wide)
    tried = _tried_line(result)
    if tried:
        print(tried)
        print("(--include-tried ranks them too; --list-tried lists them)")
    if next_k is not None:
        print(
            f"then: tg ingest runs RESULTS.csv ... (your accuracies on {result['dataset']}), "
            f"tg predict --dataset {result['dataset']}, and ask again"
        )
    if explain:
        if result.get("level"):
            print(f"expected accuracy: {result['level']}")
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
