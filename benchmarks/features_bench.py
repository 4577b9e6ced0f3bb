"""Seconds and peak RSS of the sparse collaborative features (transfergraph.features.collaborative)
on generated matrices, no server:

    python benchmarks/features_bench.py --models 100000 --datasets 1000 --edges 1000000
    python benchmarks/features_bench.py --models 1000000 --datasets 10000 --edges 10000000 --full-block 10

Accuracy edges are drawn like benchmarks/synth_zoo.py's runs (power-law popular models and
datasets, seeded), each dataset gets --similar similarity edges to random others, 90 % of the
models a source dataset. Steps, each timed on --repeat blocks and extrapolated to all datasets:
(1) every feature of every model for a block of --full-block datasets; (2) recall: the top
--candidates models per dataset for a block of --block datasets, by the similarity history at tau
0.1 and by the prior; (3) every feature of those candidates. With --view, the matrices are
exported from that view on the server tg is configured for (TG_* / NEO4J_URI), and the export is
timed instead of the generation. Wall and CPU seconds per block (the
machine is shared: CPU seconds are the steadier number); peak RSS per step is the process's
high-water mark, reset before the step (/proc/self/clear_refs).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from synth_zoo import _zipf_rank  # the same power law as the generated zoos (beside this file)

from transfergraph.features import collaborative as c
from transfergraph.features.table import TAUS


def generate(models: int, datasets: int, edges: int, similar: int, seed: int) -> c.ViewEdges:
    rng = np.random.default_rng(seed)
    # popular models and datasets spread over the ids (as synth_zoo's affine bijection does)
    m = rng.permutation(models)[_zipf_rank(rng.random(edges), models, 1.1)]
    d = rng.permutation(datasets)[_zipf_rank(rng.random(edges), datasets, 1.0)]
    a = np.repeat(np.arange(datasets), similar)
    b = (a + rng.integers(1, datasets, len(a))) % datasets
    has_source = rng.random(models) < 0.9
    return c.ViewEdges.build(
        [f"m{i:07d}" for i in range(models)],
        [f"d{i:05d}" for i in range(datasets)],
        [f"d{i:05d}" for i in range(datasets)],
        (m, d, rng.random(edges)),
        (a, b, rng.random(len(a))),
        (np.flatnonzero(has_source), rng.integers(0, datasets, int(has_source.sum()))),
    )


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def measure(name: str, step: Callable[[], Any], per_run: int, total: int, repeat: int) -> Any:
    """Run `step` `repeat` times; print seconds per run, peak RSS, and the total for `total` units
    when one run covers `per_run` of them."""
    _reset_peak()
    seconds, cpu = [], []
    result = None
    for _ in range(repeat):
        result = None  # the last block's arrays are freed before the next is computed
        start, start_cpu = time.perf_counter(), time.process_time()
        result = step()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    wall, busy = sum(seconds) / repeat, sum(cpu) / repeat
    runs = math.ceil(total / per_run)
    print(
        f"{name:<52} {wall:8.2f} s {busy:8.2f} s CPU  peak RSS {_peak_mib():6.0f} MiB  "
        f"-> {runs} blocks: {wall * runs:7.0f} s, {busy * runs:7.0f} s CPU",
        flush=True,
    )
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=100_000)
    ap.add_argument("--datasets", type=int, default=1_000)
    ap.add_argument("--edges", type=int, default=1_000_000, help="accuracy edges (repeats are averaged)")
    ap.add_argument("--similar", type=int, default=50, help="similarity edges drawn per dataset")
    ap.add_argument("--block", type=int, default=100, help="datasets per block (recall, candidates)")
    ap.add_argument("--full-block", type=int, default=100, help="datasets per block, all models' features")
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=2, help="blocks timed per step")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--view", help="export this view of the server tg is set to use instead of generating")
    ap.add_argument("--modality", default="image", help="with --view")
    args = ap.parse_args()

    _reset_peak()
    start, start_cpu = time.perf_counter(), time.process_time()
    if args.view:
        from transfergraph import config, db

        with db.connect(config.load()) as drv:
            edges = c.export(drv, args.view, args.modality)
        args.models, args.datasets = len(edges.models), len(edges.targets)
    else:
        edges = generate(args.models, args.datasets, args.edges, args.similar, args.seed)
    step = "export the view" if args.view else "generate + build matrices"
    held = sum(
        x.data.nbytes + x.indices.nbytes + x.indptr.nbytes for x in (edges.acc, edges.sim, edges.source)
    )
    print(
        f"{args.models:,} models x {args.datasets:,} datasets, {edges.acc.nnz:,} tried pairs, "
        f"{edges.sim.nnz:,} similarity entries, {edges.source.nnz:,} sources; pid {os.getpid()}\n"
        f"{step:<52} {time.perf_counter() - start:8.2f} s "
        f"{time.process_time() - start_cpu:8.2f} s CPU  peak RSS {_peak_mib():6.0f} MiB  "
        f"(matrices {held / 2**20:.0f} MiB)",
        flush=True,
    )
    n_d, rng = args.datasets, np.random.default_rng(args.seed + 1)

    def block(size: int) -> np.ndarray:
        return np.sort(rng.choice(edges.targets, size=min(size, n_d), replace=False))

    measure(
        f"all models, every feature, blocks of {args.full_block}",
        lambda: c.features(edges, block(args.full_block), TAUS),
        args.full_block,
        n_d,
        args.repeat,
    )
    k = args.candidates

    def recall(tau: float | None) -> tuple[np.ndarray, np.ndarray]:
        chosen = block(args.block)
        return chosen, c.candidates(edges, chosen, k, tau=tau)

    for tau in (0.1, None):
        score = "prior" if tau is None else f"sim_hist tau={tau}"
        top = measure(
            f"recall top {k}, {score}, blocks of {args.block}",
            partial(recall, tau),
            args.block,
            n_d,
            args.repeat,
        )
    chosen, models = top
    measure(
        f"top {k} candidates, every feature, blocks of {args.block}",
        lambda: c.features(edges, chosen, TAUS, models),
        args.block,
        n_d,
        args.repeat,
    )


if __name__ == "__main__":
    main()
