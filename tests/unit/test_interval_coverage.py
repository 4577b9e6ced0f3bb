"""`tg evaluate --intervals`' pure part (transfergraph/evaluation/intervals.py): judging a band by
rank band, a target's cells at every number of runs revealed, and the summary frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transfergraph.evaluation import intervals as coverage
from transfergraph.predict import intervals


def test_judge_counts_inside_and_the_signed_error_per_cumulative_rank_band() -> None:
    band = pd.DataFrame({"expected": [0.9, 0.8, 0.7], "low": [0.85, 0.75, 0.6], "high": [0.95, 0.85, 0.8],
                         "rank": [1, 2, 30]})  # fmt: skip
    actual = np.array([0.97, 0.8, 0.65])
    found = coverage.judge(band, actual, np.array([0, 1, 2]))
    assert np.allclose(found["top 1"], (1, 0.0, -0.07, 0.1))
    assert found["top 5"][:2] == (2, 0.5)
    n, inside, error, _ = found["all"]
    assert (n, inside) == (3, 2 / 3) and np.isclose(error, (-0.07 + 0.0 + 0.05) / 3)
    assert set(coverage.judge(band, actual, np.array([2]))) == {"all"}  # rank 30: in no top band


def test_target_cells_cover_every_runs_and_band_and_the_frame_averages_targets() -> None:
    rng = np.random.default_rng(0)
    models = [f"m{i:02d}" for i in range(45)]
    skill = pd.Series(rng.uniform(size=45), index=models)
    labels, levels = {}, {}
    for j in range(6):
        acc = np.clip(0.5 + 0.3 * skill + rng.normal(0, 0.05, 45), 0, 1)
        labels[f"d{j}"] = (acc - acc.min()) / (acc.max() - acc.min())
        levels[f"d{j}"] = {"lo": acc.min(), "span": acc.max() - acc.min()}
    labels_frame, levels_frame = pd.DataFrame(labels), pd.DataFrame(levels).T
    known = labels_frame.drop(columns=["d0"])
    honest = pd.DataFrame({d: known.drop(columns=[d]).mean(axis=1) for d in known})
    calibration, why = intervals.calibrate(honest, known, levels_frame.drop(index="d0"))
    assert calibration is not None, why
    actual = levels_frame.at["d0", "lo"] + levels_frame.at["d0", "span"] * labels_frame["d0"]
    cells = coverage.target_cells(calibration, "d0", known.mean(axis=1), actual, draws=2)
    assert {(c.runs, c.band) for c in cells} == {
        (r, b) for r in ("0", "1", "3", "5", "20", "all but own") for b in coverage.BANDS
    }
    assert next(c for c in cells if c.runs == "20" and c.band == "all").models == 25
    assert next(c for c in cells if c.runs == "all but own" and c.band == "all").models == 45
    result = coverage.IntervalCoverage("text", "model-prior", ("d0",), tuple(cells), (), 2, 1.0)
    frame = result.frame()
    assert len(frame) == 24 and frame["coverage"].between(0, 1).all() and (frame["targets"] == 1).all()
    assert frame["ok"].tolist() == frame["coverage"].between(0.75, 0.85).tolist()
    assert result.to_dict()["summary"][0]["band"] == "top 1"
