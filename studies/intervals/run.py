"""Which calibration holds the 80% interval at the top of the list and at every number of runs?
(issue 28, item 1; the research half behind `transfergraph/predict/intervals.py`).

Pure pandas on the paper zoo (as `studies/methods/run.py`): per modality, each dataset with at least 20
measured models is held out in turn (its column removed before anything is computed); the ranker is
the model prior (each model's mean normalised accuracy on the known datasets; the target's own
column never in it). Everything that `intervals.calibrate` learns, it learns on the known datasets
only, and the candidate settings are chosen there too (nested: each known dataset playing the
target in turn), never on the held-out target. Measured on the target: coverage of the 80% band and
mean(expected - measured) by rank band (rank of the model's score among the target's measured
models) and by runs revealed (0, 1, 3, 5, 20: seeded random models, 5 draws; all: every run but the
model's own).

Run from the repository root (the paper zoo from --zoo or TG_ZOO_PATH):

    OMP_NUM_THREADS=1 python -m studies.intervals.run [--modality image|text] [--variant NAME ...]

The variant "crepes" needs `pip install "crepes>=0.9,<0.10"` (not a dependency of the product).
The variant "current" is the calibration before issue 28: it needs that version of
`transfergraph/predict/intervals.py` importable as `intervals_legacy` (e.g. `git show
5d59cba:transfergraph/predict/intervals.py > /tmp/legacy/intervals_legacy.py`, PYTHONPATH=/tmp/legacy).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

from dataclasses import asdict

import numpy as np
import pandas as pd

from studies.methods import candidates as cf
from studies.methods import run as ms
from transfergraph import config
from transfergraph.evaluation import intervals as evaluation
from transfergraph.predict import intervals


class Legacy:
    """The calibration before issue 28 (a copy on the path as `intervals_legacy`), judged the same way."""

    def __init__(self, calibration: object):
        self.calibration = calibration

    def interval(self, scores: pd.Series, measured: pd.Series) -> pd.DataFrame:
        band = self.calibration.interval(scores, measured)  # type: ignore[attr-defined]
        return band.assign(rank=intervals.ranks(scores.to_numpy(float)))


def crepes_offsets(
    residuals: dict[str, np.ndarray], coverage: float = intervals.COVERAGE
) -> tuple[float, float]:
    """`intervals.conformal_offsets` through crepes' conformal predictive system: each dataset's
    residuals resampled to EQUALISE evenly spaced quantiles (crepes weighs residuals, not datasets)."""
    from crepes import ConformalPredictiveSystem

    parts = [r[~np.isnan(r)] for r in residuals.values()]
    parts = [r for r in parts if len(r)]
    if len(parts) < 2:
        raise ValueError("need residuals of at least two calibration datasets")
    even = np.concatenate([np.quantile(r, (np.arange(EQUALISE) + 0.5) / EQUALISE) for r in parts])
    tail = (1 - coverage) / 2 * 100
    cps = ConformalPredictiveSystem().fit(even)
    low, high = cps.predict(np.zeros(1), lower_percentiles=[tail], higher_percentiles=[100 - tail], seed=0)[0]
    return float(low), float(high)


EQUALISE = 20


def study(zoo: ms.Zoo, variants: dict[str, dict[str, object]], draws: int = 5) -> pd.DataFrame:
    """Per variant, target, runs revealed and rank band: `transfergraph.evaluation.intervals`' cells."""
    rows = []
    for target in zoo.targets:
        labels = zoo.labels.drop(columns=[target])
        counts = labels.notna().sum()
        known = [d for d in labels.columns if counts[d] >= intervals.MIN_MODELS]
        honest = pd.DataFrame({d: labels.drop(columns=[d]).mean(axis=1) for d in known})
        levels = cf.dataset_levels(zoo.mean.drop(columns=[target]))
        score = labels.mean(axis=1)
        truth = zoo.best[target].dropna()
        truth = truth[truth.index.isin(score.dropna().index)]
        for name, options in variants.items():
            extra: dict[str, Any] = {k: v for k, v in options.items() if k not in ("legacy", "crepes")}
            calibration: Any
            if options.get("legacy"):
                import intervals_legacy

                found, why = intervals_legacy.calibrate(honest, labels, levels)
                calibration = None if found is None else Legacy(found)
            elif options.get("crepes"):
                kept = intervals.conformal_offsets
                intervals.conformal_offsets = crepes_offsets  # type: ignore[assignment]
                try:
                    calibration, why = intervals.calibrate(honest, labels, levels)
                finally:
                    intervals.conformal_offsets = kept
            else:
                calibration, why = intervals.calibrate(honest, labels, levels, **extra)
            if calibration is None:
                print(f"  {target} {name}: {why}", file=sys.stderr)
                continue
            cells = evaluation.target_cells(calibration, target, score[truth.index], truth, draws)
            rows += [{"variant": name, **asdict(c)} for c in cells]
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby(["variant", "band", "runs"], sort=False)[["coverage", "error", "width"]].mean().round(3)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modality", action="append", choices=["image", "text"])
    parser.add_argument("--variant", action="append", help="one of the names below (default: all)")
    parser.add_argument("--zoo", type=Path, help="The paper zoo's folder (default: TG_ZOO_PATH).")
    args = parser.parse_args()
    all_variants: dict[str, dict[str, object]] = {
        "current": {"legacy": True},
        "pooled-level": {"iso_candidates": (intervals.NEVER,), "bands": (), "scales": ("none",)},
        "mondrian-level": {"iso_candidates": (intervals.NEVER,), "scales": ("none",)},
        "mondrian-iso10": {"iso_candidates": (10,), "scales": ("none",)},
        "mondrian-iso20": {"iso_candidates": (20,), "scales": ("none",)},
        "mondrian-chosen-unscaled": {"scales": ("none",)},
        "scaled-pooled": {"bands": ()},
        "scale-all": {"scales": ("all",)},
        "scale-top": {"scales": ("top",)},
        "chosen": {},
        "crepes": {"crepes": True},
    }
    variants = {k: v for k, v in all_variants.items() if not args.variant or k in args.variant}
    for modality in args.modality or ["image", "text"]:
        t0 = time.time()
        path = args.zoo or config.load().zoo_path
        if path is None:
            parser.error("no paper zoo: pass --zoo DIR or set TG_ZOO_PATH")
        zoo = ms.Zoo(path, modality)
        frame = study(zoo, variants)
        table = summary(frame)
        with pd.option_context("display.max_rows", 500, "display.width", 200):
            print(f"\n## {modality}: {len(zoo.targets)} targets ({time.time() - t0:.0f} s)")
            print(table.unstack("runs")[["coverage", "error"]].to_string())
        out = Path("benchmarks") / "out"
        out.mkdir(exist_ok=True)
        frame.to_csv(out / f"intervals_study_{modality}.csv", index=False)


if __name__ == "__main__":
    main()
