"""Rank pre-trained models for a dataset from Python, on a small fine-tuning history.

Run it against a server (`tg db start` first, or NEO4J_URI): it loads 60 runs of 12 models on six
image datasets, builds the learning graph, predicts with the model prior and prints the five models
to try first on `flowers`, where three models were already fine-tuned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from transfergraph import TransferGraph


def history(seed: int = 0) -> pd.DataFrame:
    """Runs of 12 models on 6 datasets: a model's skill carries over from dataset to dataset."""
    rng = np.random.default_rng(seed)
    models = [f"example-org/vit-{i:02d}" for i in range(12)]
    skill = rng.uniform(0.5, 0.9, size=len(models))
    rows = [
        {"model": m, "dataset": d, "accuracy": float(np.clip(s + rng.normal(0, 0.03), 0, 1))}
        for d in ["cifar10", "cifar100", "pets", "dtd", "svhn"]
        for m, s in zip(models, skill, strict=True)
    ]
    tried = zip(models[:3], skill[:3], strict=True)
    rows += [{"model": m, "dataset": "flowers", "accuracy": float(s)} for m, s in tried]
    return pd.DataFrame(rows)


def main() -> pd.DataFrame:
    with TransferGraph() as tg:
        print(tg.ingest_runs(history(), modality="image", model_col="model", dataset_col="dataset",
                             accuracy_col="accuracy").frame())  # fmt: skip
        tg.graph_build()
        tg.predict(method="model-prior")
        ranking = tg.recommend("flowers", top=5)
    print(ranking[["rank", "model", "score"]].to_string(index=False))
    print(f"already tried on flowers: {len(ranking.attrs['measured'])} models")
    return ranking


if __name__ == "__main__":
    main()
