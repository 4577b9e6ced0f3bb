"""Seconds per embedding method and modality on the paper zoo: the production view and the eight
evaluation target views of each modality (docs/method.md), plus the held-out link-prediction AUC over
several seeds (mean and spread). Runs against the server the environment points at (TG_SERVER_DIR,
TG_BOLT_PORT, ...), which must hold the ingested paper zoo; it builds the target views it needs.

    python benchmarks/embed_bench.py [--seeds 0 1 2] [--skip-targets]

With --scale MODELS RUNS DATASETS it measures instead a generated zoo on a server of its own
(`learning_bench.py`'s way: seed-3 `synth_zoo.py`, temporary folder, own ports, --heap): bulk
ingest, `graph build`, GDS's Node2Vec memory estimate for each modality of the production view, then
`tg embed --method gat` refused under TG_GNN_MEMORY=256m, then `tg embed` with each of --methods
(node2vec graphsage) as whole processes, each with its wall seconds, the tg process's peak RSS and
the server's (VmHWM). A step still running after --timeout
seconds is stopped; GDS's progress is printed every minute meanwhile.

    python benchmarks/embed_bench.py --scale 100000 1000000 1000 [--heap 6g] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from learning_bench import HERE, free_port, server_hwm_mib

from transfergraph import config, db, embed
from transfergraph.choices import EmbedMethod, Format
from transfergraph.cypher import query
from transfergraph.embed import node2vec
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


def node2vec_estimates(view: str = "all") -> list[dict[str, Any]]:
    """GDS's own estimate for Node2Vec with tg's defaults (dim 128), per modality of `view`: the
    check `tg embed` makes before it runs, with the projection's size and seconds."""
    settings = config.load()
    out = []
    with db.connect(settings) as drv, node2vec.client(drv, settings) as gds:
        for row in db.run(drv, "embed/modalities", view=view):
            name = f"tg-bench-{uuid.uuid4().hex}"
            started = time.perf_counter()
            try:
                graph = gds.graph.project.cypher(
                    query("embed/project"), graph=name, view=view, modality=row["modality"], hidden=[]
                ).graph
                projected = time.perf_counter() - started
                config_ = node2vec.gds_config(EmbedMethod.node2vec, 128, 0, node2vec.DEFAULTS)
                est = gds.node2vec.estimate(graph, **config_)
            finally:
                gds.graph.drop(name, fail_if_missing=False)
            out.append(
                {
                    "modality": row["modality"],
                    "nodes": est.node_count,
                    "relationships": est.relationship_count,
                    "required_memory": est.required_memory,
                    "heap_percentage_max": est.heap_percentage_max,
                    "projection_s": round(projected, 1),
                }
            )
    return out


def watch_gds(stop: threading.Event, every: float = 60.0) -> None:
    """Print GDS's running jobs (task, progress) every `every` seconds until `stop` is set."""
    settings = config.load()
    started = time.perf_counter()
    with db.connect(settings) as drv:
        while not stop.wait(every):
            jobs = [f"{r['job']}: {r['finished']}/{r['tasks']} tasks done, now {r['now']}"
                    for r in db.run(drv, "embed/progress")]  # fmt: skip
            print(f"  {time.perf_counter() - started:.0f} s: {'; '.join(jobs) or 'no GDS job'}", flush=True)


def timed(name: str, args: list[str], server_dir: Path, timeout: float | None = None) -> dict[str, Any]:
    """One `tg` process: wall seconds, its own peak RSS, the server's VmHWM after it, exit code, the
    seconds `tg embed` reports for the method itself (before the write-back) and the last stderr
    line; with a `timeout`, GDS's progress meanwhile, and stopped after it.

    The peak comes from /usr/bin/time: a child's ru_maxrss seen from here would include this
    process's own peak (Linux carries the pre-exec memory into it)."""
    started = time.perf_counter()
    stop = threading.Event()
    if timeout is not None:
        threading.Thread(target=watch_gds, args=(stop,), daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        out, err, rss = Path(tmp, "out"), Path(tmp, "err"), Path(tmp, "rss")
        with open(out, "w") as o, open(err, "w") as e:
            proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss), *args], stdout=o, stderr=e)
            try:
                code: int | str = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                for child in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split():
                    os.kill(int(child), signal.SIGKILL)  # tg itself: time then reports its peak
                proc.wait()
                code = f"stopped after {timeout:.0f} s"
        stop.set()
        seconds = time.perf_counter() - started
        stdout, stderr, peak_kib = out.read_text(), err.read_text(), int(rss.read_text().split()[-1])
    try:
        method_s: Any = round(sum(float(r["seconds"]) for r in json.loads(stdout)), 1)
    except (ValueError, KeyError, TypeError):
        method_s = None
    row = {
        "step": name,
        "seconds": round(seconds, 1),
        "method_s": method_s,
        "tg_peak_mib": round(peak_kib / 1024),
        "server_peak_mib": round(server_hwm_mib(server_dir) or 0),
        "exit": code,
        "stderr": (stderr.strip().splitlines() or [""])[-1][:400],
    }
    print(row, flush=True)
    return row


def clock() -> None:
    """The time of day and the machine's load: these numbers depend on who else is running."""
    print(f"{time.strftime('%H:%M UTC', time.gmtime())}, load average {os.getloadavg()[0]:.1f}", flush=True)


def scale(models: int, runs: int, datasets: int, heap: str, pagecache: str, keep: Path | None,
          timeout: float, methods: list[str]) -> None:  # fmt: skip
    """The --scale benchmark (module docstring)."""
    work = Path(tempfile.mkdtemp(prefix="tg-embed-"))
    zoo = keep or work / "zoo"
    if not (zoo / "runs.csv").exists():
        subprocess.run([sys.executable, str(HERE / "synth_zoo.py"), "--models", str(models), "--runs",
                        str(runs), "--datasets", str(datasets), "--out", str(zoo), "--seed", "3"],
                       check=True)  # fmt: skip
    server_dir = work / "server"
    os.environ.update(TG_SERVER_DIR=str(server_dir), TG_BOLT_PORT=str(free_port()),
                      TG_HTTP_PORT=str(free_port()), TG_HEAP=heap, TG_PAGECACHE=pagecache)  # fmt: skip
    os.environ.pop("NEO4J_URI", None)
    tg = [sys.executable, "-m", "transfergraph"]
    subprocess.run([*tg, "db", "start"], check=True, capture_output=True)
    clock()
    try:
        timed("ingest --bulk", [*tg, "ingest", "runs", str(zoo / "runs.csv"), "--modality", "image",
                                "--model-col", "model", "--dataset-col", "dataset", "--accuracy-col",
                                "accuracy", "--run-id-col", "run_id", "--hf-models-file",
                                str(zoo / "hf-models.jsonl"), "--bulk"], server_dir)  # fmt: skip
        timed("graph build", [*tg, "graph", "build"], server_dir)
        for est in node2vec_estimates():
            print(f"GDS Node2Vec estimate: {est}", flush=True)
        embed_all = [*tg, "embed", "--view", "all", "-f", "json", "--method"]
        # The one-line refusal at this size: GAT with the limit below its full-batch estimate.
        os.environ["TG_GNN_MEMORY"] = "256m"
        timed("embed gat, TG_GNN_MEMORY=256m", [*embed_all, "gat"], server_dir)
        os.environ.pop("TG_GNN_MEMORY")
        for method in methods:
            timed(f"embed {method}", [*embed_all, method], server_dir, timeout)
            clock()
    finally:
        subprocess.run([*tg, "db", "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)  # the zoo is only in there without --keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skip-targets", action="store_true", help="Production view only.")
    parser.add_argument("--scale", type=int, nargs=3, metavar=("MODELS", "RUNS", "DATASETS"),
                        help="Measure a generated zoo of this size on its own server instead.")  # fmt: skip
    parser.add_argument("--heap", default="6g", help="--scale: the server's heap.")
    parser.add_argument("--pagecache", default="2g", help="--scale: the server's page cache.")
    parser.add_argument("--keep", type=Path, help="--scale: keep the generated zoo here (reused if there).")
    parser.add_argument("--timeout", type=float, default=900, help="--scale: stop an embed step after it.")
    parser.add_argument("--methods", nargs="+", default=["node2vec", "graphsage"],
                        choices=[m.value for m in EmbedMethod], help="--scale: methods to run.")  # fmt: skip
    args = parser.parse_args()
    if args.scale:
        models, runs, datasets = args.scale
        scale(models, runs, datasets, heap=args.heap, pagecache=args.pagecache, keep=args.keep,
              timeout=args.timeout, methods=args.methods)  # fmt: skip
        return
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
