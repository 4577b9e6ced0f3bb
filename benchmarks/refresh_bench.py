"""A refresh after new facts about one dataset against a full rebuild, measured in one run.

A user's dataset is added (`tg dataset add`, offline probe all-MiniLM-L6-v2) and given a few
fine-tuning runs; then, alternately:
  full:    tg graph build && tg predict --method M     (every view edge, every prediction)
  refresh: tg predict --dataset NEW --method M         (its view edges and its predictions only)
Whole processes, as a user runs them; the median of --repeats each. The dataset and its runs are
deleted at the end.

Usage (the server must hold the paper zoo and the production view):
    HF_HUB_OFFLINE=1 python benchmarks/refresh_bench.py [--method logme-profile-history]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
NAME = "bench/new_reviews"
WORDS = ["good", "bad", "great", "awful", "film", "plot", "acting", "boring", "moving", "fun"]


def tg(*args: str) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "transfergraph", *args], capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"tg {' '.join(args)} failed: {out.stderr.strip()}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", default="logme-profile-history")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    data = OUT / "new_reviews.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for i in range(200):
            w.writerow([" ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 8)), i % 2])
    runs = OUT / "new_reviews_runs.csv"
    with open(runs, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "dataset", "acc"])
        for model, acc in (
            ("bert-base-uncased", 0.88),
            ("roberta-base", 0.91),
            ("distilbert-base-uncased", 0.86),
        ):
            w.writerow([model, NAME, acc])
    from transfergraph import config, db

    settings = config.load()
    try:
        added = tg("dataset", "add", NAME, "--from", str(data), "--modality", "text")
        tg("ingest", "runs", str(runs), "--model-col", "model", "--dataset-col", "dataset", "--accuracy-col",
           "acc", "--modality", "text")  # fmt: skip
        full, refresh = [], []
        for _ in range(args.repeats):
            full.append(tg("graph", "build") + tg("predict", "--method", args.method))
            refresh.append(tg("predict", "--dataset", NAME, "--method", args.method))
    finally:
        with db.connect(settings) as drv:
            drv.execute_query("MATCH (d:Dataset {id: $id}) DETACH DELETE d", id=NAME)
    f, r = statistics.median(full), statistics.median(refresh)
    print(f"tg dataset add (embed 200 texts, offline MiniLM): {added:.1f} s")
    print(f"full rebuild (graph build + predict, both modalities): median {f:.1f} s of {args.repeats}")
    print(f"refresh (predict --dataset): median {r:.1f} s of {args.repeats}")
    print(f"refresh / full: {r / f:.2f}")


if __name__ == "__main__":
    main()
