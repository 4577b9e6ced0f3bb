"""Ingest throughput: transactional `tg ingest` vs `tg ingest --bulk` vs raw `neo4j-admin import`.

    .venv/bin/python benchmarks/ingest_bench.py                      # 20k models, 200k runs
    .venv/bin/python benchmarks/ingest_bench.py --models 100000 --runs 1000000   # ~1 h: (a) is slow
    .venv/bin/python benchmarks/ingest_bench.py --models 1000000 --runs 10000000 --datasets 10000 \
        --skip-transactional

One run generates a synthetic zoo (benchmarks/synth_zoo.py) and measures, on a managed server of
its own (TG_SERVER_DIR=benchmarks/out/server, ports 27687/27474, wiped first, stopped at the end):

  (a) transactional: `tg ingest runs` then `tg ingest hf-models`, each timed end to end;
  (b) bulk: `tg ingest runs --bulk` into an empty database, then `tg ingest hf-models --bulk`
      into an emptied one (--bulk only loads an empty database), each timed end to end;
  (c) raw: `neo4j-admin database import full` on the CSV files the bulk path writes (the same
      `transfergraph.bulk` code writes them), timing only the neo4j-admin call.

Rows are graph rows (nodes + relationships, the summary's `rows`), the same for all three paths.
Prints a table, the ratios bulk/raw and transactional/raw, the server's peak RSS (VmHWM) after
(a) and (b) and the importer's peak RSS in (c); writes benchmarks/out/results-MODELS-RUNS.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"
RUN_COLS = [
    "--modality",
    "image",
    "--model-col",
    "model",
    "--dataset-col",
    "dataset",
    "--accuracy-col",
    "accuracy",
    "--run-id-col",
    "run_id",
    "--hparam-col",
    "lr",
    "--hparam-col",
    "epochs",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tg(*args: str) -> tuple[float, dict[str, Any]]:
    """Run `tg ... -f json` as a user would; seconds and the summary rows by entity."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "transfergraph", *args, "-f", "json"], capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"tg {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return elapsed, {row["entity"]: row for row in json.loads(proc.stdout)}


def peak_rss_mib(pid: int | None) -> float | None:
    """VmHWM (peak resident set) of a live process, MiB."""
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def timed_import(settings: Any, layout: Any) -> tuple[float, float]:
    """(seconds of the neo4j-admin call, its peak RSS in MiB), run in a forked child so that
    RUSAGE_CHILDREN covers the importer alone."""
    from transfergraph.ingest import bulk

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            seconds = bulk.run_import(settings, layout)
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            os.write(write, json.dumps({"seconds": seconds, "rss": rss}).encode())
        except BaseException as e:
            os.write(write, json.dumps({"error": str(e)}).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        result = json.loads(f.read() or '{"error": "child died"}')
    os.waitpid(pid, 0)
    if "error" in result:
        raise SystemExit(f"raw import failed: {result['error']}")
    return result["seconds"], result["rss"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=200_000)
    ap.add_argument("--datasets", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--model-skew", type=float, default=1.1, help="See synth_zoo.py.")
    ap.add_argument("--dataset-skew", type=float, default=1.0, help="See synth_zoo.py.")
    ap.add_argument("--bolt-port", type=int, default=27687)
    ap.add_argument("--http-port", type=int, default=27474)
    ap.add_argument("--heap", default="2g", help="Server heap (TG_HEAP).")
    ap.add_argument("--pagecache", default="1g", help="Server page cache (TG_PAGECACHE).")
    ap.add_argument("--batch-size", type=int, default=5000, help="Transactional rows per transaction.")
    ap.add_argument("--skip-transactional", action="store_true", help="Measure (b) and (c) only.")
    args = ap.parse_args()

    server_dir = OUT / "server"
    os.environ.pop("NEO4J_URI", None)
    os.environ.update(
        TG_SERVER_DIR=str(server_dir),
        TG_BOLT_PORT=str(args.bolt_port),
        TG_HTTP_PORT=str(args.http_port),
        TG_HEAP=args.heap,
        TG_PAGECACHE=args.pagecache,
    )
    sys.path.insert(0, str(REPO))
    from transfergraph import config, server
    from transfergraph.ingest import bulk
    from transfergraph.loaders import hf_models, runs

    settings = config.load()
    zoo = OUT / "zoo"
    runs_csv, models_jsonl = zoo / "runs.csv", zoo / "hf-models.jsonl"
    results: dict[str, Any] = {
        "scale": {
            "models": args.models,
            "runs": args.runs,
            "datasets": args.datasets,
            "seed": args.seed,
            "model_skew": args.model_skew,
            "dataset_skew": args.dataset_skew,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)),
            "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "python": platform.python_version(),
            "neo4j": server.pinned_versions()["neo4j"],
            "loadavg_start": os.getloadavg(),
        },
        "server": {"heap": args.heap, "pagecache": args.pagecache},
    }

    log(f"generating the zoo into {zoo}")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "synth_zoo.py"), "--models", str(args.models),
         "--runs", str(args.runs), "--datasets", str(args.datasets), "--seed", str(args.seed),
         "--model-skew", str(args.model_skew), "--dataset-skew", str(args.dataset_skew), "--out", str(zoo)],
        check=True,
    )  # fmt: skip
    results["generate_s"] = time.monotonic() - started
    results["input"] = {
        "runs_csv_mib": runs_csv.stat().st_size / 2**20,
        "hf_models_jsonl_mib": models_jsonl.stat().st_size / 2**20,
    }

    def start() -> float:
        """`tg db start`, as a user would. Not server.start() in this process: the server would be
        our child, and once a `tg ingest --bulk` stopped it, it would stay a zombie (we do not reap
        it while waiting for that tg), which server.stop waits 90 s for."""
        t = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "transfergraph", "db", "start"], check=True, capture_output=True
        )
        return time.monotonic() - t

    def reset() -> None:
        """An empty `neo4j` database (and a fresh server process: VmHWM starts again)."""
        server.stop(settings, say=lambda _: None)
        bulk.discard_store(settings)
        start()

    runs_args = ["ingest", "runs", str(runs_csv), *RUN_COLS]
    hf_args = ["ingest", "hf-models", "--file", str(models_jsonl)]
    phases: dict[str, dict[str, Any]] = {}
    try:
        if server.running_pid(settings) is not None:
            server.stop(settings, say=lambda _: None)
        shutil.rmtree(server_dir, ignore_errors=True)
        log(f"starting a fresh server in {server_dir} (bolt {args.bolt_port})")
        results["server"]["first_start_s"] = start()

        if not args.skip_transactional:
            log("(a) transactional: tg ingest runs, tg ingest hf-models")
            batch = ["--batch-size", str(args.batch_size)]
            t_runs, s_runs = tg(*runs_args, *batch)
            t_hf, s_hf = tg(*hf_args, *batch)
            phases["transactional"] = {
                "runs": {"seconds": t_runs, "rows": sum(r["rows"] for r in s_runs.values())},
                "hf-models": {"seconds": t_hf, "rows": sum(r["rows"] for r in s_hf.values())},
                "server_peak_rss_mib": peak_rss_mib(server.running_pid(settings)),
            }
            log(f"    runs {t_runs:.1f}s, hf-models {t_hf:.1f}s")

        log("(b) bulk: tg ingest runs --bulk, then hf-models --bulk into an emptied database")
        t = time.monotonic()
        reset()
        results["server"]["reset_s"] = time.monotonic() - t
        t_runs, s_runs = tg(*runs_args, "--bulk")
        rss_runs = peak_rss_mib(server.running_pid(settings))
        reset()
        t_hf, s_hf = tg(*hf_args, "--bulk")
        phases["bulk"] = {
            "runs": {"seconds": t_runs, "rows": sum(r["rows"] for r in s_runs.values())},
            "hf-models": {"seconds": t_hf, "rows": sum(r["rows"] for r in s_hf.values())},
            "server_peak_rss_mib": max(rss_runs or 0, peak_rss_mib(server.running_pid(settings)) or 0),
        }
        log(f"    runs {t_runs:.1f}s, hf-models {t_hf:.1f}s")

        log("(c) raw neo4j-admin import of the bulk path's CSV files")
        server.stop(settings, say=lambda _: None)
        raw: dict[str, Any] = {}
        for name, load in (
            ("runs", lambda: runs.load(runs_csv, runs.Mapping("model", "dataset", "accuracy", "run_id",
                                                               hparams=("lr", "epochs")), "image")),
            ("hf-models", lambda: hf_models.load_file(models_jsonl)),
        ):  # fmt: skip
            t = time.monotonic()
            records = load()
            t_load = time.monotonic() - t
            t = time.monotonic()
            layout = bulk.write_csv(bulk.plan(records), OUT / "csv" / name)
            t_csv = time.monotonic() - t
            seconds, rss = timed_import(settings, layout)
            raw[name] = {
                "seconds": seconds,
                "rows": sum(records.counts().values()),
                "load_s": t_load,
                "write_csv_s": t_csv,
                "csv_mib": layout.bytes / 2**20,
                "import_peak_rss_mib": rss,
            }
            log(f"    {name}: load {t_load:.1f}s, CSV {t_csv:.1f}s, neo4j-admin {seconds:.1f}s")
        phases["raw"] = raw
    finally:
        server.stop(settings, say=lambda _: None)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["phases"] = phases
    (OUT / f"results-{args.models}-{args.runs}.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


def report(results: dict[str, Any]) -> str:
    phases = results["phases"]

    def total(path: str) -> tuple[int, float]:
        p = phases[path]
        return p["runs"]["rows"] + p["hf-models"]["rows"], p["runs"]["seconds"] + p["hf-models"]["seconds"]

    rate = {path: total(path)[0] / total(path)[1] for path in phases}
    raw_rate = rate["raw"]
    names = {"transactional": "transactional `tg ingest`", "bulk": "`tg ingest --bulk`",
             "raw": "raw `neo4j-admin database import`"}  # fmt: skip
    lines = [
        "| path | runs.csv (s) | hf-models.jsonl (s) | rows | total (s) | rows/s | vs raw |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for path in [p for p in ("transactional", "bulk", "raw") if p in phases]:
        rows, seconds = total(path)
        p = phases[path]
        lines.append(
            f"| {names[path]} | {p['runs']['seconds']:.1f} | {p['hf-models']['seconds']:.1f} | {rows:,} "
            f"| {seconds:.1f} | {rows / seconds:,.0f} | {rows / seconds / raw_rate:.3f} |"
        )
    s, m = results["scale"], results["machine"]
    rss = (
        "server peak RSS (VmHWM): "
        + ", ".join(f"{k} {phases[k]['server_peak_rss_mib']:.0f} MiB" for k in ("transactional", "bulk")
                    if k in phases)
        + "; neo4j-admin import peak RSS: "
        + ", ".join(f"{k} {v['import_peak_rss_mib']:.0f} MiB" for k, v in phases["raw"].items())
    )  # fmt: skip
    ratios = [f"bulk/raw = {rate['bulk'] / raw_rate:.3f}"]
    if "transactional" in rate:
        ratios += [
            f"transactional/raw = {rate['transactional'] / raw_rate:.3f}",
            f"bulk/transactional = {rate['bulk'] / rate['transactional']:.2f}x",
        ]
    prep = "; ".join(
        f"{k}: load {v['load_s']:.1f} s, write CSV {v['write_csv_s']:.1f} s ({v['csv_mib']:.0f} MiB)"
        for k, v in phases["raw"].items()
    )
    return "\n".join(
        [
            f"scale: {s['models']:,} models, {s['runs']:,} runs, {s['datasets']:,} datasets "
            f"(seed {s['seed']}, skew {s.get('model_skew', 1.1)}/{s.get('dataset_skew', 1.0)}); "
            f"{m['affinity']} cores, {m['mem_gib']} GiB, load average "
            f"{m['loadavg_start'][0]:.1f} at start, {m['loadavg_end'][0]:.1f} at end",
            "",
            *lines,
            "",
            ", ".join(ratios),
            rss,
            f"bulk-path work before neo4j-admin (measured in (c)): {prep}",
            f"server start: {results['server']['first_start_s']:.1f} s (first), "
            f"{results['server']['reset_s']:.1f} s (stop + start)",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
