"""`tg evaluate --intervals`: does the expected accuracy's 80% interval hold where a user looks?

Each target is held out as `tg evaluate` holds it out (the view `without:T`, T's runs hidden from
every edge): the ranker is fitted and its intervals calibrated on that view exactly as `tg predict`
does (`predict.run.calibration`), T's measured models are scored, and k of their runs are revealed
as the dataset's own (0, 1, 3, 5, 20: seeded random models, `draws` draws; all: every run but the
model's own, each model predicted without it). On the models not revealed: does the band hold the
measured accuracy (each model's best full fine-tuning run, as `tg recommend` shows it), and by how
much is the expected accuracy off, by rank band (the model's rank among T's measured models by the
ranker's score: top 1, top 5, top 20, all) and by runs revealed. Each target weighs the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j
import numpy as np

from transfergraph import rankers, views
from transfergraph.config import Settings
from transfergraph.errors import MissingInput, ParameterError, TGError
from transfergraph.features import table as feats
from transfergraph.predict import intervals

if TYPE_CHECKING:
    import pandas as pd

RUNS = (0, 1, 3, 5, 20, intervals.ALL)  # runs revealed on the target; ALL: every run but the model's own
BANDS = {"top 1": 1, "top 5": 5, "top 20": 20, "all": 10**9}  # cumulative rank bands
GOAL = (0.75, 0.85)  # the coverage an 80% interval should show


def runs_label(k: int) -> str:
    return "all but own" if k == intervals.ALL else str(k)


@dataclass(frozen=True)
class Cell:
    """One target, runs revealed and rank band, over its draws: models judged, the share inside the
    band, mean(expected - measured), mean width (accuracy units)."""

    target: str
    runs: str
    band: str
    models: int
    coverage: float
    error: float
    width: float


@dataclass(frozen=True)
class IntervalCoverage:
    """What `tg evaluate --intervals` measured for one modality."""

    modality: str
    method: str
    targets: tuple[str, ...]
    cells: tuple[Cell, ...]
    skipped: tuple[tuple[str, str], ...]  # (target, why it has no interval)
    draws: int
    seconds: float

    def per_target(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.cells])

    def frame(self) -> pd.DataFrame:
        """Per (rank band, runs revealed): coverage and mean error averaged over targets (each weighs
        the same), their min and max coverage, mean width, targets, and `ok`: coverage in GOAL."""
        import pandas as pd

        cells = self.per_target()
        if cells.empty:
            return pd.DataFrame(columns=["band", "runs", "coverage", "error", "width", "min_coverage",
                                         "max_coverage", "targets", "ok"])  # fmt: skip
        out = (
            cells.groupby(["band", "runs"], sort=False)
            .agg(coverage=("coverage", "mean"), error=("error", "mean"), width=("width", "mean"),
                 min_coverage=("coverage", "min"), max_coverage=("coverage", "max"),
                 targets=("target", "nunique"))
            .reset_index()
        )  # fmt: skip
        out["ok"] = out["coverage"].between(*GOAL)
        return out

    def write_report(self, folder: Path) -> Path:
        """intervals.md (the table) and intervals.png (coverage and mean error by runs, per rank band)."""
        from transfergraph.evaluation.report import write_interval_report

        return write_interval_report(self.to_dict(), folder)

    def to_dict(self) -> dict[str, Any]:
        summary = self.frame()
        return {
            "modality": self.modality, "method": self.method, "targets": list(self.targets),
            "draws": self.draws, "seconds": self.seconds, "goal": list(GOAL),
            "summary": summary.to_dict("records"), "cells": [asdict(c) for c in self.cells],
            "skipped": [{"target": t, "why": w} for t, w in self.skipped],
        }  # fmt: skip


def judge(
    band: pd.DataFrame, actual: np.ndarray, rest: np.ndarray
) -> dict[str, tuple[int, float, float, float]]:
    """Rank band -> (models, share inside, mean(expected - measured), mean width) over the rows
    `rest` of `band` (interval's frame, in the order of `actual`)."""
    rank = band["rank"].to_numpy()[rest]
    expected, low, high = (band[c].to_numpy(float)[rest] for c in ("expected", "low", "high"))
    measured = actual[rest]
    out = {}
    for name, top in BANDS.items():
        sel = (rank <= top) & ~np.isnan(expected)
        if sel.any():
            inside = (measured[sel] >= low[sel]) & (measured[sel] <= high[sel])
            out[name] = (int(sel.sum()), float(inside.mean()), float((expected[sel] - measured[sel]).mean()),
                         float((high[sel] - low[sel]).mean()))  # fmt: skip
    return out


def target_cells(
    calibration: intervals.Calibration, target: str, scores: pd.Series, actual: pd.Series, draws: int
) -> list[Cell]:
    """Every (runs, band) cell of one target: `scores` and `actual` (the measured accuracy) by model."""
    cells = []
    values = actual.to_numpy(float)
    for k in RUNS:
        found: dict[str, list[tuple[int, float, float, float]]] = {}
        for _, shown, rest in intervals.reveals(len(actual), k, draws if k else 1, offset=100):
            band = calibration.interval(scores, actual.iloc[shown])
            for name, cell in judge(band, values, rest).items():
                found.setdefault(name, []).append(cell)
        for name, parts in found.items():
            n, cov, err, width = (float(np.mean([p[i] for p in parts])) for i in range(4))
            cells.append(Cell(target, runs_label(k), name, round(n), cov, err, width))
    return cells


def interval_coverage(
    drv: neo4j.Driver, settings: Settings, modality: str, *, targets: list[str] | None = None,
    method: str | None = None, min_models: int = 20, draws: int = intervals.DRAWS,
    log: Callable[[str], None] = lambda _: None,
) -> IntervalCoverage:  # fmt: skip
    """Hold out each target, calibrate as `tg predict` does on the rest, and measure the band on it."""
    from transfergraph import graph
    from transfergraph.evaluation import protocol
    from transfergraph.predict import run as predict_run
    from transfergraph.rankers.fewshot import FewShot

    start = time.perf_counter()
    if draws < 1:
        raise ParameterError("draws", "must be at least 1")
    chosen = method or predict_run.chosen_method(drv, modality)
    if rankers.get(chosen).seeded:
        raise ParameterError("method", f"{chosen}: a learned ranking has no honest scores to calibrate on")
    names = list(targets or [protocol.AUTO])
    found = protocol.auto_targets(drv, modality, min_models) if names == [protocol.AUTO] else names
    protocol.check_targets(drv, modality, found)
    cells: list[Cell] = []
    skipped: list[tuple[str, str]] = []
    for target in found:
        gt = protocol.ground_truth(drv, target)
        view = views.held_out(target)
        log(f"{target}: building view {view}")
        graph.build(drv, target, view, graph.BuildSettings())
        datasets = [*feats.training_datasets(drv, view, modality), target]
        base = feats.assemble_raw(feats.fetch(drv, view, modality, datasets=sorted(set(datasets))))
        ranker = FewShot(rankers.get(chosen))
        try:
            ranker.fit(base, base.frame["dataset"] != target)
            values = ranker.base.score(protocol._target_rows(gt, base, target))
        except MissingInput as e:
            raise TGError(f"{chosen} cannot rank {modality} here: {e}") from None
        calibration, _, why = predict_run.calibration(drv, feats.view_settings(drv, view), modality, ranker)
        if calibration is None:
            skipped.append((target, why or "no interval"))
            continue
        scores = np.asarray(values, dtype=float)
        ok = ~np.isnan(scores)
        import pandas as pd

        actual = pd.Series(gt["accuracy"].to_numpy(float)[ok], index=gt["model"].to_numpy()[ok])
        if len(actual) < 2:
            skipped.append((target, f"{chosen} scores fewer than two of its measured models"))
            continue
        cells += target_cells(calibration, target, pd.Series(scores[ok], index=actual.index), actual, draws)
        log(f"{target}: {len(actual)} models judged")
    return IntervalCoverage(modality, chosen, tuple(found), tuple(cells), tuple(skipped), draws,
                            round(time.perf_counter() - start, 1))  # fmt: skip
