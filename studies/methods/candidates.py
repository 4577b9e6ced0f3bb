"""The candidate rankings of the methods study (`run.py` beside this file, issue 18): collaborative
rankings of models for a cold target dataset, as pure functions. None beat the baselines under the
choice rule, so none is in the product (`transfergraph/rankers/`); they stay here, beside the study
that measured them. Metrics, z-scores and the interval helpers are the product's, imported.

Every ranking has one shape:

    score(labels, side, target, settings) -> pandas.Series (model -> score, higher = better)

- `labels`: models x known datasets, the per-dataset min-max normalised mean full fine-tuning
  accuracy, NaN where no run. The target's column is never in it: nothing measured on the target
  can reach its scores (the unit tests change the target's labels and check the scores do not move).
- `side`: information known before any fine-tuning on the target:
  "similarity" (datasets x datasets, in [0, 1], missing pairs read as 0), "logme" (models x
  datasets, raw LogME scores; the target's column may be there: it needs no fine-tuning), "models"
  (metadata indexed by model: log_parameters, input_size, source_accuracy, model_type).
- `settings`: a dict; `choose_nested` picks it by leave-one-dataset-out over the known datasets only.

Also here: split-conformal intervals of a model's *accuracy* (not its normalised label) on a new
target, whose unknown accuracy level is part of the interval until runs on the target reveal it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from transfergraph import numeric
from transfergraph.evaluation import metrics
from transfergraph.predict import intervals

Side = dict[str, Any]
Settings = dict[str, Any]
Ranking = Callable[[pd.DataFrame, Side, str, Settings], pd.Series]

TAUS = (0.02, 0.05, 0.1, 0.2, 0.5)  # the product's similarity-history temperatures (features.TAUS)
UNIFORM = math.inf  # tau = inf: every known dataset weighs the same (the model prior)


# --------------------------------------------------------------------------------------- helpers


def similarity_to(side: Side, target: str, datasets: Iterable[str]) -> np.ndarray:
    """Similarity of `target` to each of `datasets` (0 where unknown, as graph.cypher reads it)."""
    names = list(datasets)
    sim = side.get("similarity")
    if sim is None or target not in sim.index:
        return np.zeros(len(names))
    return sim.loc[target].reindex(names).fillna(0.0).to_numpy(float)


def similarity_weights(sim: np.ndarray, tau: float) -> np.ndarray:
    """exp(-(1 - similarity) / tau), the product's weight; tau = inf weighs every dataset alike."""
    if math.isinf(tau):
        return np.ones_like(sim)
    return np.exp(-(1.0 - sim) / tau)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise weighted mean over the non-NaN entries (NaN when a row has none)."""
    known = ~np.isnan(values)
    w = known * weights[None, :]
    total = w.sum(axis=1)
    num = np.where(known, values, 0.0) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, num / np.where(total > 0, total, 1.0), np.nan)


def _fingerprint(frame: pd.DataFrame) -> str:
    h = hashlib.sha1()
    h.update(repr((list(frame.index), list(frame.columns))).encode())
    h.update(np.ascontiguousarray(frame.to_numpy(float)).tobytes())
    return h.hexdigest()


def _known(labels: pd.DataFrame, target: str) -> pd.DataFrame:
    """The labels without the target's column: one passed by mistake is ignored, never read."""
    return labels.drop(columns=[target], errors="ignore")


_CACHE: dict[tuple[Any, ...], Any] = {}


def _cached(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """Memo for the nested loops (the same completion is asked for many settings). Bounded: it is
    dropped whole when full."""
    if key not in _CACHE:
        if len(_CACHE) > 4000:
            _CACHE.clear()
        _CACHE[key] = compute()
    return _CACHE[key]


# ------------------------------------------------------------------------------------- baselines


def model_prior(labels: pd.DataFrame, side: Side, target: str, settings: Settings | None = None) -> pd.Series:
    """Each model's mean normalised accuracy on the known datasets."""
    return _known(labels, target).mean(axis=1)


def similarity_history(labels: pd.DataFrame, side: Side, target: str, settings: Settings) -> pd.Series:
    """The prior weighted by each known dataset's similarity to the target (settings: tau)."""
    labels = _known(labels, target)
    w = similarity_weights(similarity_to(side, target, labels.columns), float(settings["tau"]))
    return pd.Series(_weighted_mean(labels.to_numpy(float), w), index=labels.index)


def history_features(
    labels: pd.DataFrame, side: Side, target: str, taus: Iterable[float] = TAUS
) -> pd.DataFrame:
    """graph.cypher's collaborative features of (model, target) from `labels` (the target not in it):
    prior, n_tried, sim_hist_<tau>, nearest_acc, near3_acc, nearest_sim."""
    labels = _known(labels, target)
    values = labels.to_numpy(float)
    sim = similarity_to(side, target, labels.columns)
    out: dict[str, np.ndarray] = {
        "prior": _weighted_mean(values, np.ones(values.shape[1])),
        "n_tried": (~np.isnan(values)).sum(axis=1).astype(float),
    }
    for tau in taus:
        out[f"sim_hist_{tau:g}"] = _weighted_mean(values, similarity_weights(sim, tau))
    # most similar first, ties by dataset id (as the Cypher orders them)
    order = sorted(range(len(sim)), key=lambda j: (-sim[j], labels.columns[j]))
    ordered, osim = values[:, order], sim[order]
    known = ~np.isnan(ordered)
    seen = np.cumsum(known, axis=1)
    first = np.argmax(known, axis=1)
    has = known.any(axis=1)
    rows = np.arange(len(values))
    out["nearest_acc"] = np.where(has, ordered[rows, first], np.nan)
    out["nearest_sim"] = np.where(has, osim[first] if len(osim) else np.nan, np.nan)
    top3 = known & (seen <= 3)
    with np.errstate(invalid="ignore"):
        out["near3_acc"] = np.where(has, np.where(top3, ordered, 0.0).sum(axis=1) / top3.sum(axis=1), np.nan)
    return pd.DataFrame(out, index=labels.index)


# ------------------------------------------------------------------ (a) low-rank matrix completion


def complete(
    labels: pd.DataFrame, rank: int, shrink: float, iters: int = 300, tol: float = 1e-6
) -> pd.DataFrame:
    """Soft-impute (Mazumder, Hastie, Tibshirani 2010) with a rank cap: the missing entries start at
    their dataset's mean, then alternate a truncated, shrunk SVD with refilling the observed entries.
    `shrink` is the soft threshold as a fraction of the largest singular value. Returns the low-rank
    reconstruction of every entry (observed ones denoised too)."""

    def run() -> pd.DataFrame:
        y = labels.to_numpy(float)
        observed = ~np.isnan(y)
        with np.errstate(invalid="ignore"):
            counts = observed.sum(axis=0)
            col_mean = np.where(observed, y, 0.0).sum(axis=0) / np.maximum(counts, 1)
        x = np.where(observed, y, col_mean[None, :])
        z = x
        for _ in range(iters):
            u, s, vt = np.linalg.svd(x, full_matrices=False)
            k = min(rank, len(s))
            shrunk = np.maximum(s[:k] - shrink * s[0], 0.0)
            z = (u[:, :k] * shrunk) @ vt[:k]
            new = np.where(observed, y, z)
            if np.linalg.norm(new - x) <= tol * max(float(np.linalg.norm(x)), 1e-12):
                x = new
                break
            x = new
        return pd.DataFrame(z, index=labels.index, columns=labels.columns)

    return _cached(("complete", _fingerprint(labels), rank, shrink), run)


def model_factors(completed: pd.DataFrame, rank: int) -> np.ndarray:
    """Model factors U * sqrt(s) of the completed matrix (rank columns)."""
    u, s, _ = np.linalg.svd(completed.to_numpy(float), full_matrices=False)
    k = min(rank, len(s))
    return u[:, :k] * np.sqrt(s[:k])


def logme_placement(factors: np.ndarray, logme: pd.Series, index: pd.Index, ridge: float = 1.0) -> pd.Series:
    """Place the cold target in the model-factor space from its LogME scores: ridge regression of the
    z-scored LogME on the model factors (models with a score), predicted for every model, so LogME
    reaches models that have no score too. NaN everywhere when fewer than 5 models have a score."""
    z = numeric.zscore(logme.reindex(index).astype(float))
    has = z.notna().to_numpy()
    if has.sum() < 5:
        return pd.Series(np.nan, index=index)
    f = factors[has]
    fc = f - f.mean(axis=0)
    coef = np.linalg.solve(fc.T @ fc + ridge * np.eye(f.shape[1]), fc.T @ z.to_numpy(float)[has])
    return pd.Series((factors - f.mean(axis=0)) @ coef, index=index)


def lowrank(labels: pd.DataFrame, side: Side, target: str, settings: Settings) -> pd.Series:
    """Low-rank completion, the cold target placed by side information only.

    Settings: rank, shrink (soft-impute), tau (the target's column = similarity-weighted mix of the
    completed known columns: its dataset factor is the same mix of their factors), logme_weight
    (when the target has LogME scores: + weight * z(LogME projected on the model factors)),
    logme_ridge (of that projection, default 1).
    """
    labels = _known(labels, target)
    rank, shrink = int(settings["rank"]), float(settings["shrink"])
    filled = complete(labels, rank, shrink)
    w = similarity_weights(similarity_to(side, target, labels.columns), float(settings["tau"]))
    by_sim = pd.Series(filled.to_numpy(float) @ w / w.sum(), index=labels.index)
    weight = float(settings.get("logme_weight", 0.0))
    logme = side.get("logme")
    if weight == 0.0 or logme is None or target not in logme.columns:
        return by_sim
    ridge = float(settings.get("logme_ridge", 1.0))
    placed = logme_placement(model_factors(filled, rank), logme[target], labels.index, ridge)
    if placed.isna().all():
        return by_sim
    return numeric.zscore(by_sim) + weight * numeric.zscore(placed)


# ---------------------------------------------------------------- (c) learning to rank (LambdaMART)

META_NUM = ("log_parameters", "input_size", "source_accuracy")


def ltr_features(labels: pd.DataFrame, side: Side, target: str) -> pd.DataFrame:
    """Features of (model, target): history features, z(LogME) on the target when scored, metadata,
    and source_sim (similarity of the model's pre-training dataset to the target, 1 if it is the
    target) when the metadata has a `source` column."""

    labels = _known(labels, target)

    def run() -> pd.DataFrame:
        feats = history_features(labels, side, target)
        logme = side.get("logme")
        if logme is not None and target in logme.columns:
            feats["logme_z"] = numeric.zscore(logme[target].reindex(labels.index).astype(float))
        else:
            feats["logme_z"] = np.nan
        meta = side.get("models")
        if meta is not None:
            for c in META_NUM:
                feats[c] = (
                    pd.to_numeric(meta[c], errors="coerce").reindex(labels.index) if c in meta else np.nan
                )
            if "source" in meta:  # graph.cypher's source_sim: 1 if the model was pre-trained on the target
                src = meta["source"].reindex(labels.index)
                sim = side.get("similarity")
                feats["source_sim"] = [
                    1.0
                    if s == target
                    else float(sim.at[s, target])
                    if sim is not None and s in sim.index and target in sim.index
                    else np.nan
                    for s in src
                ]
            if "model_type" in meta:
                codes = meta["model_type"].astype("category").cat.codes.astype(float).replace(-1.0, np.nan)
                feats["model_type_code"] = codes.reindex(labels.index)
        return feats

    # keyed by the side's objects too; the entry holds them, so their ids cannot be reused meanwhile
    parts = tuple(side.get(k) for k in ("similarity", "logme", "models"))
    key = ("ltr", _fingerprint(labels), target, *(id(p) for p in parts))
    return _cached(key, lambda: (parts, run()))[1]


def learning_to_rank(labels: pd.DataFrame, side: Side, target: str, settings: Settings) -> pd.Series:
    """LambdaMART (xgboost rank:ndcg, top-k pairs, exponential gain): every known dataset is a query
    whose features leave its own column out, relevance = its normalised accuracy in `grades` levels.

    Settings: n_estimators, max_depth, learning_rate, top (pairs per sample, top-k), grades,
    source (use the source_sim feature; default off).
    """
    from xgboost import XGBRanker

    labels = _known(labels, target)
    grades = int(settings.get("grades", 10))
    xs, ys, qs = [], [], []
    for q, dataset in enumerate(labels.columns):
        y = labels[dataset]
        rows = y.notna()
        if rows.sum() < 5:
            continue
        feats = ltr_features(labels.drop(columns=[dataset]), side, str(dataset))
        xs.append(feats[rows.to_numpy()])
        ys.append(np.rint(y[rows].to_numpy(float) * grades).astype(int))
        qs.append(np.full(int(rows.sum()), q))
    if not xs:
        return model_prior(labels, side, target)
    ranker = XGBRanker(
        objective="rank:ndcg",
        n_estimators=int(settings.get("n_estimators", 100)),
        max_depth=int(settings.get("max_depth", 3)),
        learning_rate=float(settings.get("learning_rate", 0.1)),
        lambdarank_pair_method="topk",
        lambdarank_num_pair_per_sample=int(settings.get("top", 5)),
        ndcg_exp_gain=True,
        subsample=1.0,
        n_jobs=1,
        random_state=0,
        tree_method="hist",
    )
    train = pd.concat(xs)
    if not settings.get("source", False):
        train = train.drop(columns=["source_sim"], errors="ignore")
    ranker.fit(train, np.concatenate(ys), qid=np.concatenate(qs))
    test = ltr_features(labels, side, target)[train.columns]
    return pd.Series(ranker.predict(test), index=labels.index)


# ------------------------------------------------------------- (b) graph network, end to end


def graph_network(labels: pd.DataFrame, side: Side, target: str, settings: Settings) -> pd.Series:
    """A message-passing network on the model-dataset graph, trained end to end to regress the
    normalised accuracy of the known (model, dataset) edges; the target has no edge, so it is cold.

    A dataset's representation is a softmax(-(1 - similarity) / tau) mix of its similarity
    neighbours' vectors, never its own (learned tau): every training dataset is treated as cold as
    the target. A model's representation is its own vector plus a linear map of the mean of
    label * dataset vector over its *other* edges (leave the query edge out). Prediction: global +
    model bias + model representation . dataset representation. Settings: rank, weight_decay,
    epochs, lr, seed.
    """
    import torch

    labels = _known(labels, target)
    torch.set_num_threads(1)
    torch.manual_seed(int(settings.get("seed", 0)))
    rank = int(settings.get("rank", 4))
    y = torch.tensor(np.nan_to_num(labels.to_numpy(float)), dtype=torch.float32)
    mask = torch.tensor(labels.notna().to_numpy(), dtype=torch.float32)
    sim = side.get("similarity")
    names = list(labels.columns)
    s = torch.tensor(
        np.zeros((len(names), len(names)))
        if sim is None
        else sim.reindex(index=names, columns=names).fillna(0.0).to_numpy(float),
        dtype=torch.float32,
    )
    s_target = torch.tensor(similarity_to(side, target, names), dtype=torch.float32)
    n_m, n_d = y.shape
    u = torch.nn.Parameter(0.1 * torch.randn(n_m, rank))
    v = torch.nn.Parameter(0.1 * torch.randn(n_d, rank))
    w = torch.nn.Parameter(torch.zeros(rank, rank))
    bias = torch.nn.Parameter(torch.zeros(n_m))
    glob = torch.nn.Parameter(torch.tensor(float(np.nanmean(labels.to_numpy(float)))))
    log_tau = torch.nn.Parameter(torch.tensor(math.log(0.2)))
    params = [u, v, w, bias, glob, log_tau]
    opt = torch.optim.Adam(params, lr=float(settings.get("lr", 0.03)))
    eye = torch.eye(n_d, dtype=torch.bool)
    count = mask.sum(dim=1, keepdim=True)
    decay = float(settings.get("weight_decay", 1e-3))

    def dataset_vectors(sims: torch.Tensor, self_mask: torch.Tensor | None) -> torch.Tensor:
        logits = -(1.0 - sims) / log_tau.exp()
        if self_mask is not None:
            logits = logits.masked_fill(self_mask, -1e9)
        return torch.softmax(logits, dim=-1) @ v

    for _ in range(int(settings.get("epochs", 200))):
        opt.zero_grad()
        vd = dataset_vectors(s, eye)  # (n_d, r): each dataset from its neighbours only
        total = (mask * y) @ v  # (n_m, r): sum of label * vector over a model's edges
        own = (mask * y).unsqueeze(-1) * v.unsqueeze(0)  # (n_m, n_d, r): the query edge's share
        others = (count - mask).clamp(min=1.0).unsqueeze(-1)
        message = (total.unsqueeze(1) - own) / others  # leave the query edge out
        model_rep = u.unsqueeze(1) + message @ w
        pred = glob + bias[:, None] + (model_rep * vd.unsqueeze(0)).sum(-1)
        loss = ((pred - y) ** 2 * mask).sum() / mask.sum()
        loss = loss + decay * (u.pow(2).mean() + v.pow(2).mean() + w.pow(2).mean())
        loss.backward()
        opt.step()
    with torch.no_grad():
        vt = dataset_vectors(s_target.unsqueeze(0), None)[0]
        model_rep = u + ((mask * y) @ v) / count.clamp(min=1.0) @ w
        score = glob + bias + model_rep @ vt
    return pd.Series(score.numpy().astype(float), index=labels.index)


# ----------------------------------------------------------------------------------- (d) stacking


def rank_average(components: dict[str, pd.Series], weights: dict[str, float]) -> pd.Series:
    """Weighted mean of the components' percentile ranks (a model a component cannot score gets
    that component's median rank, 0.5)."""
    total = sum(weights.values())
    index = next(iter(components.values())).index
    out = pd.Series(0.0, index=index)
    for name, w in weights.items():
        if w:
            out += w * components[name].reindex(index).rank(pct=True).fillna(0.5)
    return out / total if total else out


# ------------------------------------------------------------------------ metrics, nested choice


def aligned(actual: pd.Series, score: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(actual, score) of the models with a known accuracy, in id order, as the product's metrics
    take them (ties in the score keep that order); models without a score rank last."""
    models = sorted(actual.dropna().index)
    s = score.reindex(models)
    s = s.fillna(s.min() - 1.0 if s.notna().any() else 0.0)
    return actual[models].to_numpy(float), s.to_numpy(float)


def top_k_regret(actual: pd.Series, score: pd.Series, k: int) -> float:
    """The product's top-k regret (points of accuracy lost by fine-tuning the k top-scored models
    instead of the best one) of a scored model series."""
    return metrics.top_k_regret(*aligned(actual, score), k)


def choose_nested(
    ranking: Ranking,
    labels: pd.DataFrame,
    side: Side,
    truth: pd.DataFrame,
    grid: list[Settings],
    validation: Iterable[str],
    k: int = 3,
) -> tuple[Settings, pd.DataFrame]:
    """The setting with the lowest mean top-k regret when each `validation` dataset (a column of
    `labels`) plays the cold target: its column is dropped from `labels`, its models ranked and
    judged on `truth` (models x datasets, best accuracy). Ties: the earlier setting in `grid`
    (order the grid simplest first). The caller's target is not in `labels`, so it never takes part.
    Returns (setting, table of mean regret per setting)."""
    names = [v for v in validation if v in labels.columns]
    rows = []
    for i, setting in enumerate(grid):
        regrets = []
        for v in names:
            scores = ranking(labels.drop(columns=[v]), side, v, setting)
            regrets.append(top_k_regret(truth[v], scores, k))
        rows.append({"setting": i, "regret": float(np.mean(regrets)) if regrets else math.nan})
    table = pd.DataFrame(rows)
    best = int(table["regret"].fillna(np.inf).to_numpy().argmin())
    return grid[best], table


# ------------------------------------------------------------------- intervals of the accuracy


def dataset_levels(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Per known dataset (column of mean accuracies): lo = min, span = max - min (what min-max
    normalisation divides out, and what an accuracy prediction must put back)."""
    lo, hi = accuracy.min(axis=0), accuracy.max(axis=0)
    return pd.DataFrame({"lo": lo, "span": hi - lo})


# fit_level and conformal_offsets are the product's (transfergraph/predict/intervals.py): the study
# measures the code tg predict runs.
fit_level = intervals.fit_level
conformal_offsets = intervals.conformal_offsets
