"""The methods study: which ranking beats the strong simple baselines at the top of the list?
(issue 18, research half; the candidates are in `candidates.py` beside this file, the write-up and
measured tables in `results.md`.)

PROTOCOL (fixed before any result was looked at)
- Data: the paper zoo through `transfergraph.loaders.paper_zoo` (full fine-tuning runs only).
  Label = per-dataset min-max normalised mean accuracy over a pair's runs; ground truth of a
  target = each model's best full-FT accuracy on it (cypher/readback/ground_truth.cypher).
  Similarity = the product's: 1 - distance min-max normalised over all pairs of the modality's
  main probe (google_vit_base_patch16_224 / EleutherAI_gpt-neo-125m); missing pairs read as 0.
- Targets: every dataset of the modality with at least 20 models with a full-FT run.
- Leave one target out: the target's column is removed from the label matrix before anything is
  computed (features, factorisation, choice of settings); only zero-shot side information about
  it (similarity to the known datasets, its LogME scores) is used.
- Models judged on a target: those with a full-FT run on it and at least one run on a known dataset.
- Metrics per target: top-1 and top-3 regret (points: best accuracy minus that of the top-ranked
  model / of the best of the top 3), NDCG@5 with gain = the target's min-max normalised best
  accuracy, Spearman, Pearson: the product's functions (`transfergraph.evaluation.metrics`), the
  models in id order, unscored ones last. Mean over targets (plain).
- Strongest baseline per modality: the lower mean top-3 regret of model-prior and
  similarity-history. Paired differences (method - baseline) per target, 95% percentile bootstrap
  interval over targets (10,000 paired resamples, numpy default_rng(0)): the product's
  `transfergraph.evaluation.choice.paired`, which `tg evaluate` uses.
- PRIMARY metric: top-3 regret. Why: a practitioner fine-tunes a short list, not one model; top-1
  regret depends on one pick among near-ties (repeated runs of one pair differ by up to 9 points)
  and is the noisier estimate on 9-13 targets; top-3 regret is still in accuracy points at the
  top of the list, where the decision is made.
- CHOICE RULE: a method replaces the strongest baseline only if the upper end of its paired 95%
  interval on top-3 regret is below 0, and no secondary metric is clearly worse: the interval of
  top-1 regret not entirely above 0, that of NDCG@5 not entirely below 0.
- Settings are chosen NESTED: for an outer target, each remaining dataset with >= 20 models plays
  the cold target in turn (leave-one-dataset-out over the known datasets only) and the setting with
  the lowest mean top-3 regret wins (ties: the earlier, simpler setting). The similarity-history
  baseline and logme-profile-history keep the product's own nested rules (best mean Pearson).
- Stacking: the components' settings are the ones chosen for the outer target (on all known
  datasets); the stacking weights are then chosen by the same leave-one-dataset-out. The outer
  target takes no part in either.
- Intervals (item 4): 80% split-conformal intervals of a model's mean accuracy on the target,
  calibrated on leave-one-dataset-out residuals of the known datasets (each dataset weighing the
  same); accuracy = level + span * predicted normalised accuracy, (level, span) = the known
  datasets' mean before any run on the target, refitted from k revealed runs (k = 1, 3, 5, random
  models, 5 draws, the same procedure in calibration and test). Coverage and mean width measured
  on the target's other models.

Run from the repository root (the paper zoo from --zoo or TG_ZOO_PATH):

    OMP_NUM_THREADS=1 python -m studies.methods.run [--modality image|text] [--target T ...]
        [--skip-ltr] [--skip-gnn] [--no-intervals | --intervals-only] [--zoo DIR] [--out DIR]

The whole study: 17 min on one core; one text target without LambdaMART, the graph network and the
intervals (`--modality text --target ag_news --skip-ltr --skip-gnn --no-intervals`): about 15 s.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

from studies.methods import candidates as cf  # none won: not in the product
from transfergraph import config, rankers
from transfergraph.errors import MissingInput
from transfergraph.evaluation import choice, metrics
from transfergraph.features.table import FeatureTable
from transfergraph.loaders import paper_zoo
from transfergraph.rankers.history import choose_tau

MIN_MODELS = 20
PROBES = {"image": "google_vit_base_patch16_224", "text": "EleutherAI_gpt-neo-125m"}
METRIC_COLS = ["top1_regret", "top3_regret", "ndcg5", "spearman", "pearson"]  # the product's names
BASELINES = ("model-prior", "similarity-history")
RULE_METRICS = (choice.PRIMARY, *choice.SECONDARY)  # top-3 regret, then top-1 regret and NDCG@5
LOWRANK_GRID = [
    {"rank": r, "shrink": s, "tau": t}
    for r in (1, 2, 3, 4, 6, 8)
    for s in (0.0, 0.02, 0.05)
    for t in (cf.UNIFORM, 0.5, 0.2, 0.1, 0.05)
]
LOGME_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
LTR_GRID = [
    {"n_estimators": n, "max_depth": d, "learning_rate": 0.05, "top": 5, "grades": 10}
    for n in (100, 300)
    for d in (2, 4)
]
GNN_SETTINGS = {"rank": 4, "weight_decay": 1e-3, "epochs": 200, "lr": 0.03}
GNN_SEEDS = (0, 1, 2)
STACK_PARTS = ("model-prior", "similarity-history", "lowrank+logme")
STACK_GRID = [
    dict(zip(STACK_PARTS, w, strict=True))
    for w in itertools.product((0, 1, 2), repeat=len(STACK_PARTS))
    if any(w) and math.gcd(*w) == 1
]


# ------------------------------------------------------------------------------------------ data


class Zoo:
    """One modality's matrices: mean and best accuracy, labels, similarity, LogME, metadata."""

    def __init__(self, zoo: Path, modality: str):
        rec = paper_zoo.load(zoo, (modality,))
        runs = pd.DataFrame([{"model": r["model"], "dataset": r["dataset"], **r["props"]} for r in rec.runs])
        runs = runs[runs["peft"] == "full"]
        self.mean = runs.pivot_table(index="model", columns="dataset", values="accuracy", aggfunc="mean")
        self.best = runs.pivot_table(index="model", columns="dataset", values="accuracy", aggfunc="max")
        lo, hi = self.mean.min(), self.mean.max()
        keep = hi > lo
        self.labels = ((self.mean - lo) / (hi - lo)).loc[:, keep]
        sims = pd.DataFrame([s for s in rec.similarities if s["probe"] == PROBES[modality]])
        dist = sims["props"].map(lambda p: p["distance"])
        sim = (dist.max() - dist) / (dist.max() - dist.min())
        names = sorted(set(sims["a"]) | set(sims["b"]))
        matrix = pd.DataFrame(0.0, index=names, columns=names)
        for a, b, s in zip(sims["a"], sims["b"], sim, strict=True):
            if s > 0:  # the view keeps similarity > 0: all pairs but the farthest
                matrix.loc[a, b] = matrix.loc[b, a] = s
        self.similarity = matrix
        scores = pd.DataFrame(
            [{"model": s["model"], "dataset": s["dataset"], "metric": s["metric"], **s["props"]}
             for s in rec.scores]
        )  # fmt: skip
        self.logme = scores[scores["metric"] == "LogME"].pivot_table(
            index="model", columns="dataset", values="score"
        )
        self.regh = scores[scores["metric"] == "Reg-H-Score"].pivot_table(
            index="model", columns="dataset", values="score"
        )
        meta = pd.DataFrame(
            [{"model": k, **v["props"]} for k, v in rec.models.items() if v["modality"] == modality]
        )
        meta = meta.set_index("model")
        params = meta["num_parameters"] if "num_parameters" in meta else pd.Series(np.nan, index=meta.index)
        meta["log_parameters"] = np.log10(pd.to_numeric(params, errors="coerce"))
        for c in ("input_size", "source_accuracy", "model_type"):
            if c not in meta:
                meta[c] = np.nan
        meta["source"] = pd.Series({p["model"]: p["dataset"] for p in rec.pretrained_on})
        self.models = meta
        counts = self.best.notna().sum()
        self.targets = sorted(d for d in self.labels.columns if counts[d] >= MIN_MODELS)
        self.side: cf.Side = {"similarity": self.similarity, "logme": self.logme, "models": self.models}

    def truth(self, target: str, labels: pd.DataFrame) -> pd.Series:
        """Best accuracy of the target's measured models that have a run on a known dataset."""
        known = labels.notna().any(axis=1)
        return self.best[target].dropna().loc[lambda s: s.index.isin(known[known].index)]


# ---------------------------------------------------------------------------------------- metrics


def evaluate(actual: pd.Series, score: pd.Series) -> dict[str, float]:
    """The product's metrics of one target (models in id order, unscored ones ranked last)."""
    a, v = cf.aligned(actual, score)
    return {
        "top1_regret": metrics.top1_regret(a, v),
        "top3_regret": metrics.top_k_regret(a, v, 3),
        "ndcg5": metrics.ndcg_at(a, v, 5),
        "spearman": metrics.spearman(a, v),
        "pearson": metrics.pearson(a, v),
        "n_models": len(a),
        "n_scored": int(score.reindex(actual.dropna().index).notna().sum()),
    }


# ------------------------------------------------------------------------------ rankings per target


def product_frame(zoo: Zoo, labels: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows `baselines` expects (graph.cypher's features of the view without the target):
    every known dataset with its own column left out, then the target's rows."""
    parts = []
    for d in [*labels.columns, target]:
        known = labels.drop(columns=[d]) if d in labels.columns else labels
        f = cf.history_features(known, zoo.side, d)
        f["label"] = labels[d] if d in labels.columns else np.nan
        f["logme"] = zoo.logme[d].reindex(f.index) if d in zoo.logme.columns else np.nan
        f["dataset"] = d
        parts.append(f.reset_index(names="model"))
    frame = pd.concat(parts, ignore_index=True)
    train = frame[(frame["dataset"] != target) & frame["label"].notna()]
    return frame, train


def rankings(
    zoo: Zoo,
    target: str,
    notes: dict[str, list[str]],
    chosen_by: dict[str, dict[str, cf.Settings]],
    *,
    skip_ltr: bool = False,
    skip_gnn: bool = False,
) -> dict[str, pd.Series]:
    labels = zoo.labels.drop(columns=[target])
    truth = zoo.best.drop(columns=[target])
    side = zoo.side
    counts = zoo.best.notna().sum()
    validation = [d for d in labels.columns if counts[d] >= MIN_MODELS]
    out: dict[str, pd.Series] = {}

    def note(method: str, text: str) -> None:
        notes.setdefault(method, []).append(f"{target}: {text}")

    # baselines, exactly the product's rules
    out["model-prior"] = cf.model_prior(labels, side, target)
    frame, train = product_frame(zoo, labels, target)
    tau_col = choose_tau(train)
    target_rows = frame[frame["dataset"] == target]
    out["similarity-history"] = target_rows.set_index("model")[tau_col]
    note("similarity-history", tau_col.removeprefix("sim_hist_"))
    chosen_by.setdefault("similarity-history", {})[target] = {"tau": float(tau_col.removeprefix("sim_hist_"))}
    profile = rankers.get("logme-profile-history")
    try:
        profile.fit(FeatureTable(frame), pd.Series(frame.index.isin(train.index), index=frame.index))
        values = profile.score(target_rows)
        out["logme-profile-history"] = pd.Series(values, index=target_rows["model"].to_numpy())
        note("logme-profile-history", profile.note)
    except MissingInput:
        pass
    for name, table in (("logme", zoo.logme), ("reg-h-score", zoo.regh)):
        if target in table.columns:
            out[name] = table[target].dropna()

    # (a) low-rank completion, the target placed by similarity, then + LogME
    chosen, _ = cf.choose_nested(cf.lowrank, labels, side, truth, LOWRANK_GRID, validation)
    out["lowrank"] = cf.lowrank(labels, side, target, chosen)
    note("lowrank", f"rank={chosen['rank']} shrink={chosen['shrink']} tau={chosen['tau']}")
    chosen_by.setdefault("lowrank", {})[target] = chosen
    grid = [{**chosen, "logme_weight": w} for w in LOGME_WEIGHTS]
    with_logme, _ = cf.choose_nested(cf.lowrank, labels, side, truth, grid, validation)
    out["lowrank+logme"] = cf.lowrank(labels, side, target, with_logme)
    note("lowrank+logme", f"logme_weight={with_logme['logme_weight']}")

    # (c) LambdaMART on the collaborative features
    if not skip_ltr:
        ltr_set, _ = cf.choose_nested(cf.learning_to_rank, labels, side, truth, LTR_GRID, validation)
        out["lambdamart"] = cf.learning_to_rank(labels, side, target, ltr_set)
        note("lambdamart", f"trees={ltr_set['n_estimators']} depth={ltr_set['max_depth']}")
        # post hoc (added after run 1 showed food101): the same with the product's source_sim feature
        grid = [{**g, "source": True} for g in LTR_GRID]
        src_set, _ = cf.choose_nested(cf.learning_to_rank, labels, side, truth, grid, validation)
        out["lambdamart+source (post hoc)"] = cf.learning_to_rank(labels, side, target, src_set)
        note("lambdamart+source (post hoc)", f"trees={src_set['n_estimators']} depth={src_set['max_depth']}")

    # (b) the graph network: settings fixed in advance (nested choice would cost ~20 min of the one
    # core), three seeds, reported as the mean of the per-seed metrics
    if not skip_gnn:
        for seed in GNN_SEEDS:
            out[f"gnn@{seed}"] = cf.graph_network(labels, side, target, {**GNN_SETTINGS, "seed": seed})

    # (d) stacking: rank average, weights chosen by leave-one-dataset-out on the known datasets
    tau = float(tau_col.removeprefix("sim_hist_"))

    def components(known: pd.DataFrame, t: str) -> dict[str, pd.Series]:
        return {
            "model-prior": cf.model_prior(known, side, t),
            "similarity-history": cf.similarity_history(known, side, t, {"tau": tau}),
            "lowrank+logme": cf.lowrank(known, side, t, with_logme),
        }

    inner = {v: components(labels.drop(columns=[v]), v) for v in validation}

    def stacked(known: pd.DataFrame, s: cf.Side, t: str, weights: cf.Settings) -> pd.Series:
        parts = inner[t] if t in inner and t not in known.columns else components(known, t)
        return cf.rank_average(parts, weights)

    weights, _ = cf.choose_nested(stacked, labels, side, truth, STACK_GRID, validation)
    out["stack"] = cf.rank_average(components(labels, target), weights)
    note("stack", " ".join(f"{k}={v}" for k, v in weights.items() if v))
    return out


# ------------------------------------------------------------------------------- item 4: intervals


def normalised_scale(scores: dict[str, pd.Series], labels: pd.DataFrame) -> tuple[float, float]:
    """(a, b) of label ~ a + b * score, pooled over the calibration datasets."""
    x = np.concatenate([scores[d].reindex(labels.index).to_numpy(float) for d in scores])
    y = np.concatenate([labels[d].to_numpy(float) for d in scores])
    ok = ~np.isnan(x) & ~np.isnan(y)
    b, a = np.polyfit(x[ok], y[ok], 1)
    return float(a), float(b)


def interval_study(zoo: Zoo, name: str, ranking: cf.Ranking, settings: dict[str, cf.Settings],
                   shots: tuple[int, ...] = (0, 1, 3, 5), draws: int = 5) -> pd.DataFrame:  # fmt: skip
    """Coverage and width of 80% conformal intervals of the mean accuracy, per target and k."""
    rows = []
    for target in zoo.targets:
        labels = zoo.labels.drop(columns=[target])
        setting = settings[target]
        counts = zoo.best.notna().sum()
        calib = [d for d in labels.columns if counts[d] >= MIN_MODELS]
        scores = {d: ranking(labels.drop(columns=[d]), zoo.side, d, setting) for d in calib}
        a, b = normalised_scale(scores, labels)
        levels = cf.dataset_levels(zoo.mean.drop(columns=[target]))
        target_score = a + b * ranking(labels, zoo.side, target, setting)
        actual_t = zoo.mean[target].dropna()
        actual_t = actual_t[actual_t.index.isin(labels.dropna(how="all").index)]
        for k in shots:
            residuals: dict[str, np.ndarray] = {}
            for d in calib:
                other = levels.drop(index=d)
                pred = a + b * scores[d]
                actual = zoo.mean[d].dropna()
                actual = actual[actual.index.isin(pred.dropna().index)]
                res = []
                for draw in range(draws if k else 1):
                    shown = actual.sample(k, random_state=draw) if k else actual.iloc[:0]
                    lo, span = cf.fit_level(pred, shown, other["lo"].mean(), other["span"].mean())
                    rest = actual.drop(index=shown.index)
                    res.append((rest - (lo + span * pred[rest.index])).to_numpy(float))
                residuals[d] = np.concatenate(res)
            offsets = {
                "": cf.conformal_offsets(residuals, 0.8),
                " (finite-sample step, post hoc)": cf.conformal_offsets(residuals, 0.8, finite_sample=True),
            }
            for draw in range(draws if k else 1):
                shown = actual_t.sample(k, random_state=100 + draw) if k else actual_t.iloc[:0]
                lo, span = cf.fit_level(target_score, shown, levels["lo"].mean(), levels["span"].mean())
                rest = actual_t.drop(index=shown.index)
                point = lo + span * target_score[rest.index]
                for variant, (off_lo, off_hi) in offsets.items():
                    inside = (rest >= point + off_lo) & (rest <= point + off_hi)
                    rows.append({"method": name + variant, "target": target, "k": k, "draw": draw,
                                 "coverage": float(inside.mean()), "width": (off_hi - off_lo) * 100,
                                 "abs_error": float((rest - point).abs().mean() * 100)})  # fmt: skip
    return pd.DataFrame(rows)


def product_interval_study(
    zoo: Zoo, name: str, ranking: cf.Ranking, settings: dict[str, cf.Settings],
    shots: tuple[int, ...] = (0, 1, 3, 5), draws: int = 5,
) -> pd.DataFrame:  # fmt: skip
    """As `interval_study`, through the product's own path: `intervals.calibrate` on the known
    datasets' honest scores, then `Calibration.interval` on the held-out target with k runs revealed."""
    from transfergraph.predict import intervals

    rows = []
    for target in zoo.targets:
        labels = zoo.labels.drop(columns=[target])
        setting = settings[target]
        counts = labels.notna().sum()
        calib = [d for d in labels.columns if counts[d] >= intervals.MIN_MODELS]
        honest = pd.DataFrame({d: ranking(labels.drop(columns=[d]), zoo.side, d, setting) for d in calib})
        levels = cf.dataset_levels(zoo.mean.drop(columns=[target]))
        calibration, why = intervals.calibrate(honest, labels, levels)
        if calibration is None:
            print(f"  {target}: {why}", file=sys.stderr)
            continue
        target_score = ranking(labels, zoo.side, target, setting)
        actual_t = zoo.mean[target].dropna()
        actual_t = actual_t[actual_t.index.isin(labels.dropna(how="all").index)]
        for k in shots:
            for draw in range(draws if k else 1):
                shown = actual_t.sample(k, random_state=100 + draw) if k else actual_t.iloc[:0]
                rest = actual_t.drop(index=shown.index)
                band = calibration.interval(target_score, shown).reindex(rest.index)
                inside = (rest >= band["low"]) & (rest <= band["high"])
                width = float((band["high"] - band["low"]).mean() * 100)
                rows.append({"method": name, "target": target, "k": k, "draw": draw,
                             "coverage": float(inside.mean()), "width": width,
                             "abs_error": float((rest - band["expected"]).abs().mean() * 100)})  # fmt: skip
    return pd.DataFrame(rows)


def tau_settings(zoo: Zoo) -> dict[str, cf.Settings]:
    """The similarity history's temperature per outer target, chosen as the product does."""
    out: dict[str, cf.Settings] = {}
    for target in zoo.targets:
        _, train = product_frame(zoo, zoo.labels.drop(columns=[target]), target)
        out[target] = {"tau": float(choose_tau(train).removeprefix("sim_hist_"))}
    return out


def interval_summary(ivs: pd.DataFrame) -> pd.DataFrame:
    per_target = ivs.groupby(["method", "k", "target"])[["coverage", "width", "abs_error"]].mean()
    return per_target.groupby(["method", "k"]).agg(
        coverage=("coverage", "mean"), min_cov=("coverage", "min"), max_cov=("coverage", "max"),
        width=("width", "mean"), abs_error=("abs_error", "mean"),
    )  # fmt: skip


# ------------------------------------------------------------------------------------------- main


def markdown(frame: pd.DataFrame, digits: int = 2) -> str:
    """A frame as a markdown table (no tabulate in the venv)."""
    flat = frame.reset_index()
    head = "| " + " | ".join(str(c) for c in flat.columns) + " |"
    rule = "|" + "---|" * len(flat.columns)
    body = [
        "| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in flat.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def table(results: pd.DataFrame, baseline: str) -> str:
    """Mean metrics per method and, against the baseline, the product's paired bootstrap intervals
    (`choice.paired`) and its rule (`Paired.better` on top-3 regret, no secondary `Paired.worse`)."""
    lines = [
        f"| method | targets | top-1 regret | top-3 regret | NDCG@5 | Spearman | Pearson | "
        f"d top-3 vs {baseline} [95% CI] | d top-1 [95% CI] | d NDCG@5 [95% CI] | rule |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for method, part in results.groupby("method", sort=False):
        m = part[METRIC_COLS].mean()
        cells = []
        verdict = ""
        if method != baseline:
            cis = {col: choice.paired(results, str(method), baseline, col) for col in RULE_METRICS}
            for c in cis.values():
                col = c.metric
                digits = 3 if col == "ndcg5" else 2
                cells.append(f"{c.mean:+.{digits}f} [{c.low:+.{digits}f}, {c.high:+.{digits}f}]")
            wins = cis[choice.PRIMARY].better and not any(cis[s].worse for s in choice.SECONDARY)
            verdict = "**passes**" if wins else "no"
        else:
            cells = ["(baseline)", "", ""]
        lines.append(
            f"| {method} | {len(part)} | {m['top1_regret']:.2f} | {m['top3_regret']:.2f} | "
            f"{m['ndcg5']:.3f} | {m['spearman']:.3f} | {m['pearson']:.3f} | {' | '.join(cells)} | {verdict} |"
        )
    return "\n".join(lines)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m studies.methods.run", description=__doc__.split("\n")[0])
    parser.add_argument("--zoo", type=Path, help="The paper zoo's folder (default: TG_ZOO_PATH).")
    parser.add_argument("--modality", action="append", choices=["image", "text"])
    parser.add_argument("--target", action="append", help="Only these outer targets (default: all).")
    parser.add_argument("--skip-ltr", action="store_true", help="Leave LambdaMART out (ml extra).")
    parser.add_argument("--skip-gnn", action="store_true", help="Leave the graph network out (gnn extra).")
    parser.add_argument("--no-intervals", action="store_true")
    parser.add_argument("--intervals-only", action="store_true", help="The product's intervals alone.")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out", help="CSV folder.")
    args = parser.parse_args(argv)
    args.zoo = args.zoo or config.load().zoo_path
    if args.zoo is None:
        parser.error("no paper zoo: pass --zoo DIR or set TG_ZOO_PATH")
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    out_dir = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    for modality in args.modality or ["image", "text"]:
        t0 = time.time()
        zoo = Zoo(args.zoo, modality)
        if args.target:  # a modality without any of them is skipped
            zoo.targets = [t for t in zoo.targets if t in args.target]
            if not zoo.targets:
                continue
        if args.intervals_only:
            prior: dict[str, cf.Settings] = {t: {} for t in zoo.targets}
            ivs = pd.concat([
                product_interval_study(zoo, "model-prior", cf.model_prior, prior),
                product_interval_study(zoo, "similarity-history", cf.similarity_history, tau_settings(zoo)),
            ])  # fmt: skip
            print(f"\n## {modality}: 80% intervals through tg's calibration (coverage over "
                  f"{len(zoo.targets)} targets; width, |error| in points):")  # fmt: skip
            print(markdown(interval_summary(ivs), 3))
            print(f"\n({time.time() - t0:.0f} s)", flush=True)
            continue
        print(f"\n## {modality}: {len(zoo.targets)} targets: {', '.join(zoo.targets)}", flush=True)
        rows: list[dict[str, object]] = []
        notes: dict[str, list[str]] = {}
        chosen_by: dict[str, dict[str, cf.Settings]] = {}
        for target in zoo.targets:
            labels = zoo.labels.drop(columns=[target])
            truth = zoo.truth(target, labels)
            ranked = rankings(zoo, target, notes, chosen_by, skip_ltr=args.skip_ltr, skip_gnn=args.skip_gnn)
            for method, score in ranked.items():
                covered = score.reindex(truth.index).notna()
                if method in ("logme", "reg-h-score") and covered.sum() < MIN_MODELS:
                    continue
                actual = truth[covered] if method in ("logme", "reg-h-score") else truth
                rows.append({"method": method, "target": target, **evaluate(actual, score)})
            print(f"  {target} done ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        results = pd.DataFrame(rows)
        seeds = results[results["method"].str.startswith("gnn@")]
        if not seeds.empty:
            by_seed = seeds.groupby("method")[METRIC_COLS].mean()
            print("graph network per seed (mean over targets):")
            print(markdown(by_seed, 3))
            gnn = seeds.groupby("target", sort=False)[[*METRIC_COLS, "n_models", "n_scored"]].mean()
            gnn = gnn.reset_index().assign(method="gnn (mean of 3 seeds' metrics)")
            results = pd.concat([results[~results["method"].str.startswith("gnn@")], gnn], ignore_index=True)
        results.to_csv(out_dir / f"methods_study_{modality}.csv", index=False)
        results.insert(1, "kind", np.where(results["method"].isin(BASELINES), "baseline", "method"))
        baseline = choice.strongest_baseline(results)  # the product's rule, over the two baselines
        assert baseline is not None  # both baselines rank every target
        print(f"strongest baseline (lower mean top-3 regret): {baseline}\n")
        print(table(results, baseline))
        print("\nsettings chosen nested, per target:")
        for method, items in notes.items():
            print(f"- {method}: " + "; ".join(items))
        print("\nper-target top-3 regret:")
        print(markdown(results.pivot(index="target", columns="method", values="top3_regret")))
        print(f"\n({time.time() - t0:.0f} s)", flush=True)
        if args.no_intervals:
            continue
        prior_settings: dict[str, cf.Settings] = {t: {} for t in zoo.targets}
        iv = [interval_study(zoo, "model-prior", cf.model_prior, prior_settings)]
        iv.append(interval_study(zoo, "lowrank", cf.lowrank, chosen_by["lowrank"]))
        history = chosen_by["similarity-history"]
        iv.append(interval_study(zoo, "similarity-history", cf.similarity_history, history))
        ivs = pd.concat(iv)
        ivs.to_csv(out_dir / f"methods_study_intervals_{modality}.csv", index=False)
        per_target = ivs.groupby(["method", "k", "target"])[["coverage", "width", "abs_error"]].mean()
        summary = per_target.groupby(["method", "k"]).agg(
            coverage=("coverage", "mean"), min_cov=("coverage", "min"), max_cov=("coverage", "max"),
            width=("width", "mean"), abs_error=("abs_error", "mean"),
        )  # fmt: skip
        print("\n80% intervals of the mean accuracy (coverage over targets; width, |error| in points):")
        print(markdown(summary, 3))
        print(f"\n({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
