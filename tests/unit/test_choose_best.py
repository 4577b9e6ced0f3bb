"""Which method `tg recommend` uses after `tg evaluate`: a learned method only when it beats the
strongest baseline on both means (the measured text tie must go to the baseline)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from transfergraph.errors import TGError
from transfergraph.evaluation.protocol import choose_best


def row(method: str, kind: str, plain: float, weighted: float) -> dict[str, Any]:
    return {"method": method, "kind": kind, "pearson_plain": plain, "pearson_weighted": weighted}


def test_a_tie_with_the_prior_goes_to_the_baseline() -> None:
    # the text result of 2026-11-30: rf+none 0.808 / 0.803 against the model prior 0.806 / 0.805
    summary = [row("rf+none", "method", 0.808, 0.803), row("model-prior", "baseline", 0.806, 0.805)]
    assert choose_best(summary) == "model-prior"


def test_a_win_on_one_mean_only_goes_to_the_baseline() -> None:
    summary = [
        row("rf+none", "method", 0.852, 0.802),
        row("similarity-history", "baseline", 0.835, 0.823),
        row("model-prior", "baseline", 0.778, 0.758),
    ]
    assert choose_best(summary) == "similarity-history"


def test_a_method_beating_the_best_baseline_on_both_means_wins() -> None:
    summary = [
        row("xgb+none", "method", 0.86, 0.84),
        row("rf+none", "method", 0.87, 0.85),
        row("similarity-history", "baseline", 0.835, 0.823),
        row("logme", "baseline", math.nan, math.nan),  # no data on this zoo: not a candidate
    ]
    assert choose_best(summary) == "rf+none"


def test_without_baselines_the_best_method_and_without_anything_an_error() -> None:
    assert choose_best([row("lr+none", "method", 0.5, 0.4), row("rf+none", "method", 0.6, 0.5)]) == "rf+none"
    with pytest.raises(TGError):
        choose_best([row("logme", "baseline", math.nan, math.nan)])
