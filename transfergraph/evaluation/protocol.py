"""`tg evaluate`: the leak-free leave-one-target-out protocol of docs/method.md ("Evaluation").

Per target T: build the view `without:T` (T's runs hidden from every edge), embed it when a
method needs embeddings, compute the feature table from that view, train on the other datasets'
rows, score T's models, and compare with each model's best full fine-tuning accuracy on T.
Baselines are scored in the same run on the same rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import neo4j
import numpy as np
import pandas as pd

from transfergraph import rankers, views
from transfergraph.config import Settings
from transfergraph.db import run
from transfergraph.errors import MissingInput, ParameterError
from transfergraph.evaluation import choice, metrics
from transfergraph.evaluation.result import Evaluation
from transfergraph.evaluation.similarity import agreement
from transfergraph.features import table as feats
from transfergraph.rankers import fewshot

# The paper's eight evaluation targets per modality (docs/method.md, "Evaluation").
PAPER_TARGETS = {
    "image": [
        "caltech101", "cifar100", "dtd", "flowers", "pets", "smallnorb_label_elevation", "stanfordcars", "svhn",  # noqa: E501
    ],
    "text": [
        "glue/cola", "glue/sst2", "rotten_tomatoes", "tweet_eval/emotion", "tweet_eval/hate",
        "tweet_eval/irony", "tweet_eval/offensive", "tweet_eval/sentiment",
    ],
}  # fmt: skip
# Published averages (a leaky protocol: docs/method.md, "Evaluation"): shown beside, never the bar.
PAPER_BEST = {"image": ("xgb_node2vec", 0.848, 0.808), "text": ("xgb_homoGATConv", 0.856, 0.839)}
DEFAULT_METHODS = ("lr+none", "rf+none", "xgb+none", "xgb-rank+none")
GAIN_KEYS = ("pearson_plain", "pearson_weighted", "top1_regret_mean", "top3_regret_mean", "ndcg5_mean")
METRIC_NAMES = ("pearson", "spearman", "weighted_kendall", "top1_regret", "top3_regret", "ndcg5")
RULE = (
    "primary: top-3 regret; a method replaces the strongest baseline only when its paired 95% interval "
    "on top-3 regret is below zero and neither top-1 regret nor NDCG@5 is clearly worse"
)
SIMILARITY = ("published", "computed")  # the published matrix first, or computed probes only
AUTO = "auto"  # --targets auto: every dataset with at least --min-models measured models
MIN_MODELS = 20


def ground_truth(drv: neo4j.Driver, target: str) -> pd.DataFrame:
    return pd.DataFrame(run(drv, "readback/ground_truth", target=target), columns=["model", "accuracy"])


def auto_targets(drv: neo4j.Driver, modality: str, min_models: int) -> list[str]:
    """The wider protocol: every dataset of the modality with at least `min_models` measured models."""
    if min_models < 2:
        raise ParameterError("min_models", "must be at least 2 (a ranking of one model says nothing)")
    found = [r["dataset"] for r in run(drv, "readback/targets", modality=modality, min_models=min_models)]
    if not found:
        raise ParameterError("targets", f"no {modality} dataset has {min_models} measured models")
    return found


def check_targets(drv: neo4j.Driver, modality: str, targets: list[str]) -> None:
    for t in targets:
        found = run(drv, "readback/dataset", id=t)
        if not found:
            raise ParameterError("targets", f"{t!r}: no such dataset in the graph")
        if found[0]["modality"] != modality:
            raise ParameterError("targets", f"{t!r} is a {found[0]['modality']} dataset, not {modality}")


def _target_rows(gt: pd.DataFrame, table: feats.FeatureTable, target: str) -> pd.DataFrame:
    """The target's feature rows in the ground truth's model order (NaN rows for a model the view lacks)."""
    frame = table.frame
    return gt[["model"]].merge(frame[frame["dataset"] == target], on="model", how="left")


def _score_rows(
    rows: list[dict[str, Any]], method: str, kind: str, target: str, seed: int, gt: pd.DataFrame,
    values: np.ndarray, points: dict[str, dict[str, list[tuple[str, float, float]]]] | None = None,
) -> None:  # fmt: skip
    ok = ~np.isnan(values)
    if ok.sum() < 2:
        return
    if points is not None and seed == 0:
        points.setdefault(method, {})[target] = [
            (m, float(v), float(a))
            for m, v, a, k in zip(gt["model"], values, gt["accuracy"], ok, strict=True)
            if k
        ]
    m = metrics.all_metrics(gt["accuracy"].to_numpy(float)[ok], values[ok])
    rows.append({"method": method, "kind": kind, "target": target, "seed": seed, **m})


def _score_shots(
    rows: list[dict[str, Any]], notes: dict[str, set[str]], target: str, gt: pd.DataFrame,
    train_frame: pd.DataFrame, scored: list[tuple[str, str, int, np.ndarray]], shots: list[int], draws: int,
) -> None:  # fmt: skip
    """Per k and draw: reveal k of the target's measured models (`fewshot.reveal`, seeded by the draw
    index), and score every zero-shot ranking and its few-shot version on the same other models. The
    co-performance labels are the training rows of the view `without:T` (T's runs hidden there), so
    only the k revealed accuracies of T are used. Each ranking's power and weight are chosen on those
    training datasets, with its own scores of them where it has honest ones (`fewshot.training_bases`)."""
    labels = train_frame[train_frame["label"].notna()].pivot_table(
        index="model", columns="dataset", values="label", aggfunc="mean"
    )
    models = gt["model"].to_numpy()
    accuracy = gt["accuracy"].to_numpy(float)
    bases: dict[str, tuple[pd.DataFrame, str]] = {}  # ranking -> its scores of the training datasets
    for name in dict.fromkeys(name for name, _, _, _ in scored):
        bases[name] = fewshot.training_bases(rankers.get(name), train_frame, labels)
    for k in shots:
        cases = fewshot.validation_cases(labels, k, draws=draws)
        chosen: dict[str, fewshot.ShotSettings | None] = {}
        by_basis: dict[str, fewshot.ShotSettings | None] = {}
        for name, (table, basis) in bases.items():
            if basis not in by_basis:
                by_basis[basis], _ = fewshot.choose_settings(
                    labels, k, bases=table, weights=fewshot.WEIGHTS, cases=cases
                )
            setting = chosen[name] = by_basis[basis]
            notes.setdefault(f"{name}+shots", set()).add(
                f"k={k}: power={setting.power}, weight={setting.weight:g} (nested on {basis})"
                if setting
                else f"k={k}: no known dataset shares {fewshot.MIN_SHARED} revealed models: zero-shot kept"
            )
        for draw in range(draws):
            shown = fewshot.reveal(gt["model"], k, draw)
            rest = np.ones(len(gt), dtype=bool)
            rest[shown] = False
            revealed = pd.Series(accuracy[shown], index=models[shown])
            histories = {
                power: fewshot.coperformance_history(labels, revealed, power)
                for power in {s.power for s in chosen.values() if s is not None}
            }
            info = {"shots": k, "draw": draw, "draw_seed": draw, "revealed": [str(m) for m in revealed.index]}
            for name, kind, seed, values in scored:
                setting = chosen[name]
                few_values = (
                    fewshot.combine(
                        pd.Series(values, index=models), histories[setting.power], setting.weight
                    ).to_numpy(float)
                    if setting
                    else values
                )
                ok = rest & ~np.isnan(values) & ~np.isnan(few_values)
                if ok.sum() < 2:
                    continue
                for variant, method, v in (
                    ("zero-shot", name, values),
                    ("few-shot", f"{name}+shots", few_values),
                ):
                    rows.append({"method": method, "base_method": name, "kind": kind, "variant": variant,
                                 "target": target, "seed": seed, **info,
                                 **metrics.all_metrics(accuracy[ok], v[ok])})  # fmt: skip


def summarise_shots(
    rows: list[dict[str, Any]], weights: dict[str, float], shots: list[int]
) -> list[dict[str, Any]]:
    """Per k: each zero-shot method's summary (as `summarise`, std over draws), then its few-shot
    version's with the gains (few-shot minus zero-shot; a negative regret gain is an improvement)."""
    out: list[dict[str, Any]] = []
    for k in shots:
        summary = summarise([r for r in rows if r["shots"] == k], weights, spread="draw")
        by_method = {s["method"]: s for s in summary}
        for zero in summary:
            few = by_method.get(f"{zero['method']}+shots")
            if few is None:
                continue
            out.append({"shots": k, "variant": "zero-shot", **zero})
            gains = {f"gain_{key}": few[key] - zero[key] for key in GAIN_KEYS}
            out.append({"shots": k, "variant": "few-shot", "base_method": zero["method"], **few, **gains})
    return out


def evaluate(
    drv: neo4j.Driver,
    settings: Settings,
    modality: str,
    *,
    targets: list[str] | None = None,
    methods: list[str] | None = None,
    seeds: int = 3,
    shots: list[int] | None = None,
    draws: int = 5,
    min_models: int = MIN_MODELS,
    similarity: str = "published",
    log: Callable[[str], None] = lambda _: None,
) -> Evaluation:
    """Run the protocol. With `shots`, the few-shot protocol instead (see `_score_shots`): nothing
    is chosen or recorded."""
    from transfergraph import graph

    start = time.perf_counter()
    targets = list(targets or PAPER_TARGETS[modality])
    if targets == [AUTO]:
        targets = auto_targets(drv, modality, min_models)
    if similarity not in SIMILARITY:
        raise ParameterError("similarity", f"{similarity!r}: expected one of {', '.join(SIMILARITY)}")
    computed = similarity == "computed"
    # training-free and deterministic rankers are scored once (seed 0), the learned ones per seed
    free = [*rankers.BASELINES, *rankers.OURS]
    learned: list[str] = []
    for name in methods or DEFAULT_METHODS:
        if rankers.get(name).seeded:
            learned.append(name)
        elif name not in free:
            free.append(name)
    if seeds < 1:
        raise ParameterError("seeds", "must be at least 1")
    if shots and min(shots) < 1:
        raise ParameterError("shots", "must be at least 1")
    if shots and draws < 1:
        raise ParameterError("draws", "must be at least 1")
    shots = sorted(set(shots or []))
    check_targets(drv, modality, targets)
    rows: list[dict[str, Any]] = []
    points: dict[str, dict[str, list[tuple[str, float, float]]]] = {}  # method -> target -> points
    notes: dict[str, set[str]] = {}
    weights: dict[str, float] = {}
    missing: set[str] = set()
    for target in targets:
        gt = ground_truth(drv, target)
        if len(gt) < 2:
            problem = "fewer than two models have a full fine-tuning run on it"
            raise ParameterError("targets", f"{target!r}: {problem}")
        if shots and max(shots) > len(gt) - 2:
            problem = f"{target!r} has {len(gt)} measured models, so at most {len(gt) - 2} can be revealed"
            raise ParameterError("shots", f"{max(shots)}: {problem} (two are left to rank)")
        weights[target] = metrics.target_weight(gt["accuracy"])
        view = views.held_out(target, computed_similarity=computed)
        log(f"{target}: building view {view}")
        graph.build(drv, target, view, graph.BuildSettings(computed_similarity=computed))
        datasets = [*feats.training_datasets(drv, view, modality), target]
        raw = feats.fetch(drv, view, modality, datasets=sorted(set(datasets)))
        base = feats.assemble_raw(raw)
        missing.update(base.missing)
        train = base.frame["dataset"] != target
        scored: list[tuple[str, str, int, np.ndarray]] = []  # (method, kind, seed, scores of gt's models)
        for name in free:
            ranker = rankers.get(name)
            try:
                values = ranker.fit(base, train).score(_target_rows(gt, base, target))
            except MissingInput as e:
                notes.setdefault(name, set()).add(str(e))
                continue
            if ranker.note:
                notes.setdefault(name, set()).add(ranker.note)
            scored.append((name, ranker.kind, 0, values))
        for seed in range(seeds):
            vectors_by: dict[Any, dict[tuple[str, str], list[float]]] = {}
            for name in learned:
                ranker = rankers.get(name)
                table = base
                if ranker.embedding is not None:
                    if ranker.embedding not in vectors_by:
                        log(f"{target}: embedding {view} with {ranker.embedding.value}, seed {seed}")
                        vectors_by[ranker.embedding] = feats.embedding_vectors(
                            drv, settings, view, ranker.embedding, seed, fresh=True
                        )
                    table = feats.assemble_raw(raw, vectors_by[ranker.embedding])
                ranker.fit(table, table.frame["dataset"] != target, seed)
                scored.append((name, ranker.kind, seed, ranker.score(_target_rows(gt, table, target))))
            log(f"{target}: seed {seed} done")
        if shots:
            _score_shots(rows, notes, target, gt, base.frame[train], scored, shots, draws)
        else:
            for name, kind, seed, values in scored:
                _score_rows(rows, name, kind, target, seed, gt, values, points)
    if shots:
        return Evaluation.from_protocol({
            "modality": modality,
            "targets": targets,
            "seeds": seeds,
            "shots": list(shots),
            "draws": draws,
            "draw_seeds": list(range(draws)),
            "rows": rows,
            "summary": summarise_shots(rows, weights, shots),
            "seconds": round(time.perf_counter() - start, 1),
            "weights": weights,
            "missing_features": sorted(missing),
            "notes": {k: sorted(v) for k, v in notes.items()},
        })  # fmt: skip
    summary = summarise(rows, weights)
    chosen = choice.choose(rows)
    best = chosen.best
    return Evaluation.from_protocol({
        "modality": modality,
        "targets": targets,
        "seeds": seeds,
        "rows": rows,
        "summary": summary,
        "best": best,
        "baseline": chosen.baseline,
        "comparisons": chosen.comparison_rows(),
        "rule": RULE,
        "similarity": similarity,
        "similarity_agreement": [asdict(a) for a in agreement(drv, modality)] if computed else None,
        "seconds": round(time.perf_counter() - start, 1),
        "predictions": points.get(best, {}),
        "weights": weights,
        "missing_features": sorted(missing),
        "notes": {k: sorted(v) for k, v in notes.items()},
        "paper": {"method": PAPER_BEST[modality][0], "pearson_plain": PAPER_BEST[modality][1],
                  "pearson_weighted": PAPER_BEST[modality][2]} if modality in PAPER_BEST else None,
    })  # fmt: skip


def summarise(
    rows: list[dict[str, Any]], weights: dict[str, float], spread: str = "seed"
) -> list[dict[str, Any]]:
    """Per method: plain and weighted means over targets of the per-target mean over seeds (and
    draws); the standard deviation over `spread` (seeds, or few-shot draws) of the plain mean Pearson."""
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    out: list[dict[str, Any]] = []
    for (method, kind), part in frame.groupby(["method", "kind"], sort=False):
        per_target = part.groupby("target")[list(METRIC_NAMES)].mean()
        w = [weights[t] for t in per_target.index]
        per_seed = part.groupby(spread)["pearson"].mean()
        out.append(
            {
                "method": method,
                "kind": kind,
                "pearson_plain": float(per_target["pearson"].mean()),
                "pearson_weighted": metrics.weighted_mean(per_target["pearson"], w),
                "pearson_std": float(per_seed.std(ddof=0)) if len(per_seed) > 1 else 0.0,
                "weighted_kendall_weighted": metrics.weighted_mean(per_target["weighted_kendall"], w),
                "top1_regret_mean": float(per_target["top1_regret"].mean()),
                "top3_regret_mean": float(per_target["top3_regret"].mean()),
                "ndcg5_mean": float(per_target["ndcg5"].mean()),
                "n_targets": len(per_target),
            }
        )
    out.sort(key=lambda s: -(s["pearson_plain"] + s["pearson_weighted"]))
    return out


def record_best(drv: neo4j.Driver, result: Evaluation) -> None:
    """Store the winner (method or baseline) so `tg recommend` uses it by default."""
    run(
        drv,
        "readback/record_best",
        modality=result.modality,
        method=result.best,
        summary=json.dumps(list(result.summary_rows)),
        targets=list(result.targets),
        seeds=result.seeds,
    )
