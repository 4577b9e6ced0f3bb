"""The rule that picks `tg recommend`'s default (transfergraph/evaluation/choice.py): top-3 regret
first, a paired bootstrap interval over targets, no secondary metric clearly worse."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from transfergraph.errors import TGError
from transfergraph.evaluation.choice import choose, paired, per_target, strongest_baseline

TARGETS = [f"t{i}" for i in range(12)]


def rows(method: str, kind: str, top3: list[float], *, top1: list[float] | None = None,
         ndcg: list[float] | None = None, targets: list[str] = TARGETS) -> list[dict[str, Any]]:  # fmt: skip
    top1 = top1 or [v * 2 for v in top3]
    ndcg = ndcg or [0.9] * len(top3)
    return [
        {"method": method, "kind": kind, "target": t, "seed": 0, "top3_regret": a, "top1_regret": b,
         "ndcg5": c, "pearson": 0.5, "spearman": 0.5}
        for t, a, b, c in zip(targets, top3, top1, ndcg, strict=True)
    ]  # fmt: skip


RNG = np.random.default_rng(0)
PRIOR = list(RNG.uniform(2, 6, len(TARGETS)))


def test_the_strongest_baseline_ranks_every_target_with_the_lowest_top3_regret() -> None:
    partial = rows("reg-h-score", "baseline", [0.1] * 6, targets=TARGETS[:6])  # lowest, but 6 targets
    table = per_target(
        rows("model-prior", "baseline", PRIOR) + rows("logme", "baseline", [9.0] * 12) + partial
    )
    assert strongest_baseline(table) == "model-prior"


def test_a_method_clearly_better_on_top3_wins() -> None:
    better = [p - 1.5 + RNG.normal(0, 0.2) for p in PRIOR]
    chosen = choose(rows("model-prior", "baseline", PRIOR) + rows("rf+none", "method", better))
    assert chosen.best == "rf+none" and chosen.baseline == "model-prior"
    primary = next(c for c in chosen.comparisons if c.metric == "top3_regret")
    assert primary.n_targets == 12 and primary.high < 0 and primary.better


def test_a_small_or_noisy_gain_goes_to_the_baseline() -> None:
    noisy = [p - 0.1 + RNG.normal(0, 2.0) for p in PRIOR]  # the text tie of 2026-11-30, in regret
    chosen = choose(rows("model-prior", "baseline", PRIOR) + rows("rf+none", "method", noisy))
    assert chosen.best == "model-prior"


def test_a_gain_on_top3_with_a_clearly_worse_top1_goes_to_the_baseline() -> None:
    better = [p - 1.5 for p in PRIOR]
    worse_top1 = [p * 2 + 5 for p in PRIOR]
    chosen = choose(
        rows("model-prior", "baseline", PRIOR) + rows("xgb+none", "method", better, top1=worse_top1)
    )
    assert chosen.best == "model-prior"
    assert next(c for c in chosen.comparisons if c.metric == "top1_regret").worse


def test_a_ranking_is_compared_only_on_the_targets_it_covers() -> None:
    table = per_target(rows("model-prior", "baseline", PRIOR) + rows("reg-h-score", "method", [1.0] * 8,
                                                                      targets=TARGETS[:8]))  # fmt: skip
    c = paired(table, "reg-h-score", "model-prior", "top3_regret")
    assert c.n_targets == 8 and c.mean == pytest.approx(np.mean([1.0 - p for p in PRIOR[:8]]))


def test_the_interval_is_seeded_and_nothing_scored_is_an_error() -> None:
    table = per_target(rows("model-prior", "baseline", PRIOR) + rows("rf+none", "method", PRIOR[::-1]))
    assert paired(table, "rf+none", "model-prior", "top3_regret") == paired(
        table, "rf+none", "model-prior", "top3_regret"
    )
    with pytest.raises(TGError):
        choose([])
