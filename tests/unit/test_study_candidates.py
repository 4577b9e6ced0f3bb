"""The methods study's candidate rankings (`studies/methods/candidates.py`; pure: frames in, scores
out): a low-rank structure with a hidden column is recovered from side information alone, the
target's own labels never reach its scores, settings are chosen on the known datasets, and the
accuracy intervals have the coverage they are built for. `studies` is importable because pytest puts
the repository root on the path (`pythonpath` in pyproject.toml)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from studies.methods import candidates as cf

MODELS = [f"m{i:02d}" for i in range(40)]
DATASETS = ["a", "b", "c", "d", "e", "f"]


def rank2(seed: int = 0, missing: float = 0.2) -> tuple[pd.DataFrame, pd.Series, cf.Side]:
    """Known datasets a-f = U V^T (rank 2) with `missing` of the entries hidden; the target t's
    column is the mean of a's and b's (its factor is theirs), and t is most similar to a and b."""
    rng = np.random.default_rng(seed)
    u = rng.uniform(0, 1, (len(MODELS), 2))
    v = rng.uniform(0, 1, (len(DATASETS), 2))
    full = pd.DataFrame(u @ v.T, index=MODELS, columns=DATASETS)
    truth = (full["a"] + full["b"]) / 2
    labels = full.mask(rng.uniform(size=full.shape) < missing)
    names = [*DATASETS, "t"]
    sim = pd.DataFrame(0.1, index=names, columns=names)
    sim.loc["t", ["a", "b"]] = sim.loc[["a", "b"], "t"] = 1.0
    return labels, truth, {"similarity": sim}


def spearman(x: pd.Series, y: pd.Series) -> float:
    return float(x.rank().corr(y.reindex(x.index).rank()))


def test_completion_recovers_the_hidden_entries_of_a_rank_2_matrix() -> None:
    rng = np.random.default_rng(0)
    full = pd.DataFrame(
        rng.uniform(0, 1, (len(MODELS), 2)) @ rng.uniform(0, 1, (2, len(DATASETS))),
        index=MODELS,
        columns=DATASETS,
    )
    holes = full.mask(rng.uniform(size=full.shape) < 0.25)
    filled = cf.complete(holes, rank=2, shrink=0.0, iters=2000, tol=1e-10)
    missing = holes.isna().to_numpy()
    assert missing.sum() > 30
    assert np.abs(filled.to_numpy()[missing] - full.to_numpy()[missing]).max() < 1e-3
    # rank 1 cannot: the test can fail
    worse = cf.complete(holes, rank=1, shrink=0.0)
    assert np.abs(worse.to_numpy()[missing] - full.to_numpy()[missing]).max() > 1e-2


def test_a_cold_column_is_placed_by_similarity_and_recovered() -> None:
    labels, truth, side = rank2()
    score = cf.lowrank(labels, side, "t", {"rank": 2, "shrink": 0.0, "tau": 0.05})
    assert spearman(truth, score) > 0.99
    assert score.idxmax() == truth.idxmax()
    # uniform weights (the prior's view) miss the target's own mix of factors
    flat = cf.lowrank(labels, side, "t", {"rank": 2, "shrink": 0.0, "tau": cf.UNIFORM})
    assert spearman(truth, flat) < spearman(truth, score)


def test_logme_places_the_target_and_reaches_models_without_a_score() -> None:
    labels, _, side = rank2(seed=1)
    filled = cf.complete(labels, 2, 0.0)
    factors = cf.model_factors(filled, 2)
    rng = np.random.default_rng(1)
    hidden = pd.Series(factors @ np.array([1.0, -0.5]), index=MODELS)  # a target unlike any known one
    logme = 3.0 * hidden + 7.0 + rng.normal(0, 0.01, len(MODELS))
    scored = logme.iloc[:25]  # 15 models have no LogME score
    placed = cf.logme_placement(factors, scored, labels.index, ridge=1e-6)
    unscored = MODELS[25:]
    assert spearman(hidden[unscored], placed[unscored]) > 0.95
    side = {**side, "logme": pd.DataFrame({"t": scored})}
    with_logme = cf.lowrank(
        labels, side, "t", {"rank": 2, "shrink": 0.0, "tau": 0.05, "logme_weight": 100.0, "logme_ridge": 1e-6}
    )
    assert spearman(hidden, with_logme) > 0.95


def rankings() -> list[tuple[str, cf.Ranking, cf.Settings]]:
    return [
        ("prior", cf.model_prior, {}),
        ("history", cf.similarity_history, {"tau": 0.1}),
        ("lowrank", cf.lowrank, {"rank": 2, "shrink": 0.02, "tau": 0.1, "logme_weight": 1.0}),
        ("ltr", cf.learning_to_rank, {"n_estimators": 20, "max_depth": 2}),
        ("gnn", cf.graph_network, {"rank": 2, "epochs": 20}),
    ]


@pytest.mark.parametrize(("name", "ranking", "settings"), rankings(), ids=[r[0] for r in rankings()])
def test_the_target_labels_never_reach_its_scores(
    name: str, ranking: cf.Ranking, settings: cf.Settings
) -> None:
    pytest.importorskip({"ltr": "xgboost", "gnn": "torch"}.get(name, "numpy"))  # the ml / gnn extras
    labels, truth, side = rank2(seed=2)
    rng = np.random.default_rng(2)
    side = {**side, "logme": pd.DataFrame({"t": truth + rng.normal(0, 0.05, len(MODELS)), "a": labels["a"]})}
    clean = ranking(labels, side, "t", settings)
    for leaked in (truth, 1.0 - truth, pd.Series(rng.uniform(size=len(MODELS)), index=MODELS)):
        dirty = ranking(labels.assign(t=leaked), side, "t", settings)
        pd.testing.assert_series_equal(clean, dirty)
    assert clean.notna().all() and clean.std() > 0


def test_learning_to_rank_puts_the_best_model_near_the_top() -> None:
    pytest.importorskip("xgboost")
    labels, truth, side = rank2(seed=3, missing=0.0)
    score = cf.learning_to_rank(labels, side, "t", {"n_estimators": 50, "max_depth": 2})
    assert truth.idxmax() in score.nlargest(3).index


def test_the_graph_network_learns_the_target_from_its_similar_datasets() -> None:
    pytest.importorskip("torch")
    labels, truth, side = rank2(seed=0)
    score = cf.graph_network(labels, side, "t", {"rank": 4, "epochs": 200, "seed": 0})
    assert spearman(truth, score) > 0.6
    again = cf.graph_network(labels, side, "t", {"rank": 4, "epochs": 200, "seed": 0})
    pd.testing.assert_series_equal(score, again)  # seeded: the same run twice


def test_top_k_regret_in_points_with_unscored_models_last() -> None:
    actual = pd.Series({"x": 0.90, "y": 0.80, "z": 0.70})
    score = pd.Series({"x": 0.0, "y": 2.0, "z": 1.0})
    assert cf.top_k_regret(actual, score, 1) == pytest.approx(10.0)
    assert cf.top_k_regret(actual, score, 2) == pytest.approx(10.0)
    assert cf.top_k_regret(actual, score, 3) == pytest.approx(0.0)
    # an unscored model is ranked last
    assert cf.top_k_regret(actual, score.drop("y"), 1) == pytest.approx(20.0)
    # ties keep the models' id order, whatever order the series come in; unknown accuracies drop out
    tied = pd.Series({"z": 1.0, "y": 1.0, "x": 1.0})
    assert cf.top_k_regret(actual[["z", "y", "x"]], tied, 1) == pytest.approx(0.0)
    assert cf.top_k_regret(actual.drop("x"), tied, 1) == pytest.approx(0.0)
    assert cf.top_k_regret(pd.Series({"w": np.nan, **actual.drop("x")}), tied, 1) == pytest.approx(0.0)


def test_choose_nested_validates_on_the_known_datasets_only() -> None:
    labels, _, side = rank2(seed=4, missing=0.0)
    truth = labels.copy()
    seen: list[str] = []

    def ranking(known: pd.DataFrame, s: cf.Side, target: str, settings: cf.Settings) -> pd.Series:
        seen.append(target)
        assert target not in known.columns
        good = truth[target] if settings["good"] else -truth[target]
        return good.reindex(known.index)

    grid = [{"good": False}, {"good": True}]
    chosen, table = cf.choose_nested(ranking, labels, side, truth, grid, ["a", "b", "zzz"])
    assert chosen == {"good": True}
    assert set(seen) == {"a", "b"} and len(table) == 2


def test_rank_average_weighs_percentile_ranks() -> None:
    x = pd.Series([1.0, 2.0, 3.0], index=["p", "q", "r"])
    y = pd.Series([30.0, 20.0, 10.0], index=["p", "q", "r"])
    assert cf.rank_average({"x": x, "y": y}, {"x": 1, "y": 0}).idxmax() == "r"
    assert cf.rank_average({"x": x, "y": y}, {"x": 1, "y": 2}).idxmax() == "p"


def test_conformal_offsets_cover_the_central_80_percent_with_datasets_weighing_alike() -> None:
    rng = np.random.default_rng(5)
    residuals = {f"d{i}": rng.normal(0, 1, 50) for i in range(40)}
    lo, hi = cf.conformal_offsets(residuals, 0.8)
    assert lo == pytest.approx(-1.2816, abs=0.1) and hi == pytest.approx(1.2816, abs=0.1)
    # one huge dataset of large residuals counts as one dataset, not as 5000 residuals
    skewed = {**residuals, "big": rng.normal(10, 1, 5000)}
    _, hi2 = cf.conformal_offsets(skewed, 0.8)
    assert hi2 < 3.0
    wide = cf.conformal_offsets(residuals, 0.8, finite_sample=True)
    assert wide[0] <= lo and wide[1] >= hi
    with pytest.raises(ValueError):
        cf.conformal_offsets({"only": np.zeros(5)})


def test_fit_level_uses_the_revealed_runs() -> None:
    predicted = pd.Series({"x": 0.0, "y": 0.5, "z": 1.0, "w": 0.25})
    accuracy = 0.3 + 0.6 * predicted
    assert cf.fit_level(predicted, accuracy.iloc[:0], 0.1, 0.8) == (0.1, 0.8)
    lo, span = cf.fit_level(predicted, accuracy[["y"]], 0.1, 0.8)  # one run: the level shifts only
    assert span == 0.8 and lo + span * 0.5 == pytest.approx(accuracy["y"])
    lo, span = cf.fit_level(predicted, accuracy[["x", "y", "z"]], 0.1, 0.8, slope_ridge=1e-9)
    assert lo == pytest.approx(0.3) and span == pytest.approx(0.6)


def test_history_features_match_the_graph_features_definitions() -> None:
    labels = pd.DataFrame({"a": [1.0, 0.0], "b": [0.0, np.nan], "c": [0.5, 1.0]}, index=["p", "q"])
    sim = pd.DataFrame(0.0, index=["a", "b", "c", "t"], columns=["a", "b", "c", "t"])
    sim.loc["t", "b"] = 0.9
    sim.loc["t", "c"] = 0.5
    f = cf.history_features(labels, {"similarity": sim}, "t", taus=(0.1,))
    assert f.loc["p", "prior"] == pytest.approx(0.5) and f.loc["q", "n_tried"] == 2
    assert f.loc["p", "nearest_acc"] == 0.0 and f.loc["p", "nearest_sim"] == pytest.approx(0.9)
    assert f.loc["q", "nearest_acc"] == 1.0 and f.loc["q", "nearest_sim"] == pytest.approx(0.5)
    assert f.loc["p", "near3_acc"] == pytest.approx(0.5)
    w = np.exp(-(1 - np.array([0.0, 0.9, 0.5])) / 0.1)
    assert f.loc["p", "sim_hist_0.1"] == pytest.approx((w * [1.0, 0.0, 0.5]).sum() / w.sum())


def test_ltr_features_say_when_a_model_was_pretrained_on_the_target() -> None:
    labels, _, side = rank2(seed=6)
    meta = pd.DataFrame({"source": ["t", "a", None] + [None] * (len(MODELS) - 3)}, index=MODELS)
    assert "source_sim" not in cf.ltr_features(labels, side, "t")
    f = cf.ltr_features(labels, {**side, "models": meta}, "t")  # same labels, new side: not the memo
    assert f.loc["m00", "source_sim"] == 1.0
    assert f.loc["m01", "source_sim"] == pytest.approx(1.0)  # a is as similar to t as t itself here
    assert np.isnan(f.loc["m02", "source_sim"])
    pytest.importorskip("xgboost")
    assert (
        cf.learning_to_rank(labels, {**side, "models": meta}, "t", {"n_estimators": 5, "source": True})
        .notna()
        .all()
    )
