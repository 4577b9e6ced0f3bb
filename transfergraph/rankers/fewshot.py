"""Few-shot model selection: the user has fine-tuned k models on a new dataset and asks which to try
next (issue 10, item 3).

The k measured accuracies say which known datasets the target behaves like: a known dataset whose
normalised accuracies correlate with the target's revealed ones over the models both share is
trusted (correlation**power, positive only), exactly as the LogME-profile history trusts datasets
that follow the target's LogME scores (`profile.profile_history`, reused with the revealed
accuracies as the signal). Pearson is invariant to the target's scale, so raw accuracies serve.
The few-shot score is z(zero-shot score) + weight * z(co-performance history), power and weight
chosen nested on the training datasets (each known dataset playing the target); a model without
history adds 0, and with too few shots (fewer than `MIN_SHARED` models shared with any known
dataset, so k=1 and k=2 always) the zero-shot ranking is returned unchanged.

Pure pandas/numpy: `tg evaluate --shots` feeds it the training rows of the view `without:T`, so
only the k revealed accuracies of the target reach it. `FewShot` wraps any ranker for `tg predict`:
a dataset with 3 to `FEW_SHOT_MAX` measured models gets the few-shot scores for its untried ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from transfergraph.features.table import FeatureTable
from transfergraph.numeric import pearson, zscore
from transfergraph.rankers import profile
from transfergraph.rankers.base import Ranker, training_rows
from transfergraph.rankers.columns import model_prior

MIN_SHARED = 3  # revealed models a known dataset must share (and not all equal) before it counts
POWERS = profile.PROFILE_POWERS  # candidates, chosen nested on the training datasets
WEIGHT = 1.0  # z(base) + z(history): the default of the pure function
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)  # candidates `tg evaluate --shots` chooses among, nested; 0: base
# A dataset with this many measured models or fewer (and at least MIN_SHARED) is in the few-shot
# regime: its runs re-weight the known datasets (co-performance) for its untried models.
FEW_SHOT_MAX = 20
VALIDATION_DATASETS = 50  # training datasets the few-shot settings are chosen on (a hub has thousands)


@dataclass(frozen=True)
class ShotSettings:
    power: int
    weight: float = WEIGHT


def coperformance_weights(
    labels: pd.DataFrame, revealed: pd.Series, power: int = 1, min_shared: int = MIN_SHARED
) -> pd.Series:
    """Known dataset -> correlation**power of its labels with the revealed accuracies (positive only)."""
    return profile.profile_weights(labels, revealed, power, min_shared)


def coperformance_history(
    labels: pd.DataFrame, revealed: pd.Series, power: int = 1, min_shared: int = MIN_SHARED
) -> pd.Series:
    """Each model's mean normalised accuracy on the known datasets, weighted by co-performance; all
    NaN when no dataset qualifies."""
    return profile.profile_history(labels, revealed, power, min_shared)


def combine(base: pd.Series, history: pd.Series, weight: float = WEIGHT) -> pd.Series:
    """z(base) + weight * z(history) over base's models; base unchanged when there is no history.
    A model NaN in base stays NaN, so zero-shot and few-shot score the same models."""
    hist = history.reindex(base.index)
    if hist.isna().all():
        return base.copy()
    return zscore(base) + weight * zscore(hist).fillna(0.0)


def few_shot_scores(
    base: pd.Series,
    labels: pd.DataFrame,
    revealed: pd.Series,
    *,
    power: int = 1,
    weight: float = WEIGHT,
    min_shared: int = MIN_SHARED,
) -> pd.Series:
    """Model -> few-shot score for every model of `base` (model -> zero-shot score). `labels`: models x
    known datasets, normalised accuracy, the target's column not in it; `revealed`: model -> the
    target's measured accuracy (those models need not be in `base`)."""
    return combine(base, coperformance_history(labels, revealed, power, min_shared), weight)


def reveal(models: pd.Series, k: int, draw: int) -> np.ndarray:
    """Positions of the k revealed models of one draw: a permutation seeded by the draw index, so the
    k=1 reveal is inside the k=3 one, and that inside k=5."""
    return np.random.default_rng(draw).permutation(len(models))[:k]


Case = tuple[str, pd.Series, int, pd.Series]  # (known dataset, its unrevealed labels, power, history)


def validation_cases(
    labels: pd.DataFrame,
    k: int,
    *,
    draws: int = 5,
    powers: tuple[int, ...] = POWERS,
    min_shared: int = MIN_SHARED,
) -> list[Case]:
    """Each known dataset plays the target in turn: per draw, k of its models revealed, its own column
    left out, and the co-performance history of its other models at each power (computed once, then
    shared by every base `choose_settings` validates)."""
    cases: list[Case] = []
    for dataset in labels.columns:
        column = labels[dataset].dropna()
        if len(column) < k + 2:
            continue
        known = labels.drop(columns=[dataset])
        for draw in range(draws):
            shown = column.iloc[reveal(column, k, draw)]
            rest = column.drop(shown.index)
            r = profile.profile_correlations(known, shown, min_shared)
            r = r[r > 0]
            if r.empty:
                continue
            for power in powers:
                cases.append((str(dataset), rest, power, profile.weighted_history(known, r**power)))
    return cases


def choose_settings(
    labels: pd.DataFrame,
    k: int,
    *,
    draws: int = 5,
    bases: pd.DataFrame | None = None,
    powers: tuple[int, ...] = POWERS,
    weights: tuple[float, ...] = (WEIGHT,),
    min_shared: int = MIN_SHARED,
    cases: list[Case] | None = None,
) -> tuple[ShotSettings | None, float]:
    """(settings, mean Pearson) with the best mean Pearson over the known datasets (`validation_cases`,
    or `cases` already computed from the same labels). Nested: call it with the training datasets only.
    Without `bases` (models x known datasets, their zero-shot scores) the history alone is validated
    and the weight is the fixed one; with them, base + weight * history for each weight given. (None,
    nan) when no dataset qualifies at this k (the caller keeps the base)."""
    if cases is None:
        cases = validation_cases(labels, k, draws=draws, powers=powers, min_shared=min_shared)
    found: dict[ShotSettings, list[float]] = {}
    for dataset, rest, power, history in cases:
        if power not in powers:
            continue
        hist = history.reindex(rest.index)
        base = None if bases is None or dataset not in bases else bases[dataset].reindex(rest.index)
        for weight in weights if bases is not None else (WEIGHT,):
            if bases is not None and (base is None or base.notna().sum() < 3):
                break  # no zero-shot score of this dataset to validate the combination on
            score = hist if base is None else combine(base, hist, weight)
            ok = score.notna()
            if ok.sum() < 3:
                continue
            p = pearson(rest[ok], score[ok])
            if not math.isnan(p):
                found.setdefault(ShotSettings(power, weight), []).append(p)
    if not found:
        return None, math.nan
    # ties: the smaller power and weight, the setting that trusts the few shots least
    best = max(found, key=lambda s: (float(np.mean(found[s])), -s.power, -s.weight))
    return best, float(np.mean(found[best]))


def training_bases(
    ranker: Ranker, train_frame: pd.DataFrame, labels: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """(models x training datasets zero-shot scores of `ranker`, what they are) to choose its weight
    on: the ranker's own honest scores of its training datasets (`Ranker.training_scores`), else the
    model prior's, which stands in for a ranking that has seen their labels."""
    own = ranker.training_scores(train_frame, labels)
    if own is not None:
        return own, ranker.name
    prior = model_prior().training_scores(train_frame, labels)
    assert prior is not None, "the feature table always has a prior column"
    return prior, "model-prior (stand-in)"


class FewShot(Ranker):
    """`base`, with the few-shot re-weighting for every dataset of the scored rows that has 3 to
    `FEW_SHOT_MAX` measured models among them (its measured ones keep the base's scores); `notes`: one
    per dataset changed.

    Power and weight are chosen per number of runs k, nested: on the training datasets with more than
    FEW_SHOT_MAX measured models (at most VALIDATION_DATASETS of them), which a few-shot dataset
    never is, so one choice per k serves every dataset with k runs, none of which it has read. The
    co-performance history reads the training datasets other than the one scored."""

    def __init__(self, base: Ranker):
        self.base = base
        self.name = base.name
        self.kind = base.kind
        self.seeded = base.seeded
        self.embedding = base.embedding
        self.fallback = base.fallback
        self.notes: list[str] = []
        self.base_values = np.zeros(0)  # the base's scores of the rows scored last

    def fit(self, table: FeatureTable, train: pd.Series, seed: int = 0) -> FewShot:
        self.base.fit(table, train, seed)
        self.note = self.base.note
        self.train_rows = training_rows(table, train)
        self.labels = self.train_rows.pivot_table(
            index="model", columns="dataset", values="label", aggfunc="mean"
        )
        self._choices: dict[int, ShotSettings | None] = {}
        self._validation: tuple[pd.DataFrame, pd.DataFrame] | None = None
        return self

    def honest(self) -> pd.DataFrame | None:
        """The base's scores of the training datasets' models, each dataset's labels left out."""
        return self.base.training_scores(self.train_rows, self.labels)

    def _choice(self, k: int) -> ShotSettings | None:
        if k not in self._choices:
            if self._validation is None:
                counts = self.labels.notna().sum()
                chosen = sorted(counts[counts > FEW_SHOT_MAX].index)[:VALIDATION_DATASETS]
                labels = self.labels[chosen]
                labels = labels[labels.notna().any(axis=1)]
                rows = self.train_rows[self.train_rows["dataset"].isin(chosen)]
                bases = training_bases(self.base, rows, labels)[0] if chosen else pd.DataFrame()
                self._validation = labels, bases
            labels, bases = self._validation
            found = choose_settings(labels, k, bases=bases, weights=WEIGHTS)[0] if len(bases) else None
            self._choices[k] = found
        return self._choices[k]

    def score(self, rows: pd.DataFrame) -> np.ndarray:
        values = self.base.score(rows)
        self.base_values = values
        out = values.copy()
        self.notes = []
        for dataset, part in rows.groupby("dataset"):
            revealed = part.set_index("model")["label"].dropna()
            if not MIN_SHARED <= len(revealed) <= FEW_SHOT_MAX or len(revealed) == len(part):
                continue
            chosen = self._choice(len(revealed))
            if chosen is None or chosen.weight == 0:
                continue
            position = rows.index.get_indexer(part.index)
            models = part["model"].to_numpy()
            base = pd.Series(values[position], index=models)
            labels = self.labels.drop(columns=[dataset], errors="ignore")
            labels = labels.reindex(labels.index.intersection(base.index.union(revealed.index)))
            few = few_shot_scores(base, labels, revealed, power=chosen.power, weight=chosen.weight)
            out[position] = few.reindex(models).to_numpy(float)
            self.notes.append(
                f"{dataset}: few-shot from {len(revealed)} runs "
                f"(power {chosen.power}, weight {chosen.weight:g})"
            )
        return out
