"""Seconds per embedding method and modality on the paper zoo: the production view and the eight
evaluation target views of each modality (method.md 1.2), plus the held-out link-prediction AUC over
several seeds (mean and spread). Runs against the server the environment points at (TG_SERVER_DIR,
TG_BOLT_PORT, ...), which must hold the ingested paper zoo; it builds the target views it needs.

    python benchmarks/embed_bench.py [--seeds 0 1 2] [--skip-targets]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from transfergraph import config, db, embed
from transfergraph.choices import EmbedMethod, Format
from transfergraph.output import emit

TARGETS = {
    "image": ["caltech101", "cifar100", "dtd", "flowers", "pets", "smallnorb_label_elevation", "stanfordcars",
              "svhn"],
    "text": ["glue/cola", "glue/sst2", "rotten_tomatoes", "tweet_eval/emotion", "tweet_eval/hate",
             "tweet_eval/irony", "tweet_eval/offensive", "tweet_eval/sentiment"],
}  # fmt: skip
# Held-out AUC needs edges hidden from Node2Vec (its default holds none out); the GNNs always hold 10 % out.
AUC_OPTIONS: dict[EmbedMethod, dict[str, Any]] = {
    EmbedMethod.node2vec: {"holdout": 0.1},
    EmbedMethod.node2vec_weighted: {"holdout": 0.1},
    EmbedMethod.graphsage: {},
    EmbedMethod.gat: {},
}


def spread(values: list[float]) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skip-targets", action="store_true", help="Production view only.")
    args = parser.parse_args()
    settings = config.load()
    targets = [t for ts in TARGETS.values() for t in ts]
    if not args.skip_targets:
        built = subprocess.run(
            [sys.executable, "-m", "transfergraph", "graph", "build", "-f", "json",
             *(a for t in targets for a in ("--target", t))],
            capture_output=True, text=True,
        )  # fmt: skip
        if built.returncode != 0:
            sys.exit(f"building the target views failed: {built.stderr.strip()}")
    seconds: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    aucs: dict[tuple[str, str], list[float]] = defaultdict(list)
    with db.connect(settings) as drv:
        for method in EmbedMethod:
            for seed in args.seeds:
                started = time.perf_counter()
                rows = embed.embed(
                    drv, settings, "all", method, seed=seed, show_progress=False, **AUC_OPTIONS[method]
                )
                print(f"{method} all seed {seed}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
                for r in rows:
                    if r.get("auc") is not None:
                        aucs[(method.value, r["modality"])].append(float(r["auc"]))
            # Timing with the stored defaults (Node2Vec holds nothing out), seed 0.
            for r in embed.embed(drv, settings, "all", method, seed=0, show_progress=False):
                seconds[(method.value, r["modality"], "production")].append(float(r["seconds"]))
            if args.skip_targets:
                continue
            started = time.perf_counter()
            for t in targets:
                for r in embed.embed(drv, settings, f"without:{t}", method, seed=0, show_progress=False):
                    seconds[(method.value, r["modality"], "targets")].append(float(r["seconds"]))
            print(f"{method} 16 target views: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows_out = []
    for method in EmbedMethod:
        for modality in TARGETS:
            per_target = seconds.get((method.value, modality, "targets"), [])
            rows_out.append(
                {
                    "method": method.value,
                    "modality": modality,
                    "production s": spread(seconds.get((method.value, modality, "production"), [])),
                    "per target view s": spread(per_target),
                    "8 target views s": f"{sum(per_target):.1f}" if per_target else "",
                    f"AUC over seeds {args.seeds}": spread(aucs.get((method.value, modality), [])),
                }
            )
    emit(rows_out, Format.table, title="tg embed on the paper zoo (seconds include the write-back)")


if __name__ == "__main__":
    main()
