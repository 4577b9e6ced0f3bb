"""The few-shot ranking (pure: frames in, scores out): the revealed accuracies find the known dataset the
target behaves like, improve on the zero-shot ranking there, and leave it unchanged when too few
models are revealed; settings are chosen on the known datasets; the summary pairs each ranking with
its few-shot version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transfergraph import rankers
from transfergraph.evaluation import metrics
from transfergraph.evaluation import protocol as evaluate
from transfergraph.rankers import fewshot

MODELS = [f"m{i:02d}" for i in range(40)]


def zoo(seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """(labels of five known datasets, base, target accuracies): the target copies dataset 'c' on a raw
    scale; the base is a noisy zero-shot guess that knows only the models' mean over the datasets."""
    rng = np.random.default_rng(seed)
    labels = pd.DataFrame(rng.uniform(0, 1, (len(MODELS), 5)), index=MODELS, columns=list("abcde"))
    target = 0.6 + 0.3 * labels["c"]
    base = labels.mean(axis=1) + rng.normal(0, 0.1, len(MODELS))
    return labels, base, target


def unrevealed_pearson(scores: pd.Series, target: pd.Series, revealed: pd.Series) -> float:
    rest = target.drop(revealed.index)
    return metrics.pearson(rest, scores.reindex(rest.index))


def test_the_dataset_the_target_copies_gets_the_weight_and_the_ranking_improves() -> None:
    labels, base, target = zoo()
    gains = []
    for draw in range(5):
        revealed = target.iloc[fewshot.reveal(target, 5, draw)]
        weights = fewshot.coperformance_weights(labels, revealed, power=2)
        assert weights.idxmax() == "c" and weights["c"] == pytest.approx(1.0)
        few = fewshot.few_shot_scores(base, labels, revealed, power=2)
        gains.append(unrevealed_pearson(few, target, revealed) - unrevealed_pearson(base, target, revealed))
    assert min(gains) > 0.1  # base ~0.45 on this zoo, the few-shot ranking well above it


def test_datasets_that_move_against_the_target_get_no_weight() -> None:
    labels, _, target = zoo()
    labels["anti"] = -labels["c"]
    revealed = target.iloc[:6]
    weights = fewshot.coperformance_weights(labels, revealed)
    assert "anti" not in weights.index and (weights > 0).all()


def test_too_few_shots_return_the_base_unchanged() -> None:
    labels, base, target = zoo()
    for revealed in (target.iloc[:1], target.iloc[:2], pd.Series(0.8, index=MODELS[:6])):  # constant
        pd.testing.assert_series_equal(fewshot.few_shot_scores(base, labels, revealed), base)
    assert fewshot.coperformance_weights(labels, target.iloc[:2]).empty


def test_the_revealed_models_need_not_be_ranked() -> None:
    labels, base, target = zoo()
    revealed = target.iloc[:5]
    rest = base.drop(revealed.index)
    few = fewshot.few_shot_scores(rest, labels, revealed)
    assert list(few.index) == list(rest.index) and few.notna().all()
    assert unrevealed_pearson(few, target, revealed) > unrevealed_pearson(rest, target, revealed)


def test_missing_base_stays_missing_and_missing_history_adds_nothing() -> None:
    labels, base, target = zoo()
    base = pd.concat([base, pd.Series({"new": 0.5})])  # a model no known dataset has run
    base.iloc[0] = np.nan
    few = fewshot.few_shot_scores(base, labels, target.iloc[:5])
    assert np.isnan(few.iloc[0])
    z = (base - base.mean()) / base.std()
    assert few["new"] == pytest.approx(z["new"])


def test_reveals_are_seeded_by_the_draw_and_nested_in_k() -> None:
    models = pd.Series(MODELS)
    for draw in range(3):
        one, three = fewshot.reveal(models, 1, draw), fewshot.reveal(models, 3, draw)
        assert set(one) <= set(three) and len(set(three)) == 3
        assert list(three) == list(fewshot.reveal(models, 3, draw))
    assert list(fewshot.reveal(models, 3, 0)) != list(fewshot.reveal(models, 3, 1))


def test_settings_are_chosen_on_the_known_datasets_and_none_below_the_minimum() -> None:
    labels, _, _ = zoo()
    labels["c2"] = labels["c"] * 0.5 + 0.1  # c and c2 predict each other: validation can see a signal
    chosen, score = fewshot.choose_settings(labels, 5, draws=3)
    assert chosen is not None and chosen.power in fewshot.POWERS and chosen.weight == fewshot.WEIGHT
    assert 0 < score <= 1
    assert fewshot.choose_settings(labels, 2, draws=3) == (None, pytest.approx(np.nan, nan_ok=True))
    # with zero-shot scores of the known datasets, the weight is chosen too, from the grid given
    bases = pd.DataFrame({d: labels.mean(axis=1) for d in labels.columns})
    chosen, _ = fewshot.choose_settings(labels, 5, draws=3, bases=bases, weights=(0.5, 2.0))
    assert chosen is not None and chosen.weight in (0.5, 2.0)


def test_the_shots_summary_pairs_each_ranking_with_its_few_shot_version() -> None:
    rows = []
    other = {"spearman": 0.0, "weighted_kendall": 0.0, "top1_regret": 1.0, "top3_regret": 0.5, "ndcg5": 0.9}
    for target in ("t1", "t2"):
        for draw in range(2):
            for method, variant, pearson in (("p", "zero-shot", 0.5), ("p+shots", "few-shot", 0.7)):
                bonus = 0.1 if target == "t2" else 0.0
                key = {"method": method, "kind": "baseline", "variant": variant, "target": target}
                rows.append({**key, "seed": 0, "shots": 3, "draw": draw, "pearson": pearson + bonus, **other})
    summary = evaluate.summarise_shots(rows, {"t1": 1.0, "t2": 3.0}, [3])
    assert [(s["method"], s["variant"]) for s in summary] == [("p", "zero-shot"), ("p+shots", "few-shot")]
    zero, few = summary
    assert zero["pearson_plain"] == pytest.approx(0.55) and zero["pearson_weighted"] == pytest.approx(0.575)
    assert few["gain_pearson_plain"] == pytest.approx(0.2) and few["gain_pearson_weighted"] == pytest.approx(
        0.2
    )
    assert few["base_method"] == "p" and few["gain_top1_regret_mean"] == 0.0


def test_the_nested_weight_trusts_the_history_only_where_the_base_needs_it() -> None:
    labels, _, _ = zoo()
    labels["c2"] = labels["c"] * 0.5 + 0.1
    rng = np.random.default_rng(1)
    perfect = labels.copy()  # a base that already ranks every known dataset exactly
    noise = pd.DataFrame(rng.normal(size=labels.shape), index=labels.index, columns=labels.columns)
    cases = fewshot.validation_cases(labels, 5, draws=3)
    best, _ = fewshot.choose_settings(labels, 5, bases=perfect, weights=fewshot.WEIGHTS, cases=cases)
    assert best is not None and best.weight == 0.0
    best, _ = fewshot.choose_settings(labels, 5, bases=noise, weights=fewshot.WEIGHTS, cases=cases)
    assert best is not None and best.weight == max(fewshot.WEIGHTS)


def test_each_ranking_is_validated_on_its_own_training_scores_or_the_prior() -> None:
    labels, _, _ = zoo()
    frame = labels.stack().rename("label").reset_index().set_axis(["model", "dataset", "label"], axis=1)
    frame = frame.assign(
        prior=frame["label"] * 0.5, logme=np.nan, reg_h=frame["label"], source_accuracy=np.nan
    )
    prior, basis = fewshot.training_bases(rankers.get("model-prior"), frame, labels)
    assert basis == "model-prior" and prior.loc["m03", "a"] == pytest.approx(labels.loc["m03", "a"] * 0.5)
    reg_h, basis = fewshot.training_bases(rankers.get("reg-h-score"), frame, labels)
    assert basis == "reg-h-score" and reg_h.loc["m03", "a"] == pytest.approx(labels.loc["m03", "a"])
    for learned in ("rf+none", "logme", "logme-profile-history"):  # no honest own scores (or no LogME)
        stand_in, basis = fewshot.training_bases(rankers.get(learned), frame, labels)
        assert basis == "model-prior (stand-in)"
        pd.testing.assert_frame_equal(stand_in, prior)
