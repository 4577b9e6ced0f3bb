"""Ingest throughput: transactional `tg ingest` vs `tg ingest --bulk` vs raw `neo4j-admin import`.

    .venv/bin/python benchmarks/ingest_bench.py                      # 20k models, 200k runs
    .venv/bin/python benchmarks/ingest_bench.py --models 100000 --runs 1000000
    .venv/bin/python benchmarks/ingest_bench.py --models 1000000 --runs 10000000 --datasets 10000 \
        --skip-transactional

One run generates a synthetic zoo (benchmarks/synth_zoo.py; into benchmarks/out/zoo-MODELS-RUNS,
reused when its scale.json matches: the generator is deterministic) and measures, on a managed
server of its own (TG_SERVER_DIR=benchmarks/out/server, ports 27687/27474, wiped first, stopped
at the end), all on the same generated files:

  (a) transactional: `tg ingest runs` then `tg ingest hf-models`, each timed end to end;
  (b) bulk: `tg ingest runs runs.csv ... --hf-models-file hf-models.jsonl --bulk` into an empty
      database, end to end: both loaders in one call, one import (one stop, one start, one index
      build), with the seconds of each step it reports (TG_BULK_TIMINGS);
  (c) raw: one `neo4j-admin database import full` of the CSV files (b) writes (the same code writes
      them: `combined.runs_and_hf_models`, the columnar passes), timing only the neo4j-admin call.

Rows are graph rows (nodes + relationships, the summary's `rows`), the same for all three paths.
Prints a table, the ratios bulk/raw and transactional/raw, the steps of each --bulk call, and the
peak RSS of each tg process (its own, written at exit), of the server (VmHWM) and of the importer;
writes benchmarks/out/results-MODELS-RUNS.json.
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


# `python -m transfergraph ARGS` that writes its own peak RSS (KiB) into argv[1] when it exits.
TG_MAIN = (
    "import atexit, resource, runpy, sys; out = sys.argv.pop(1); "
    "atexit.register(lambda: open(out, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))); "
    "sys.argv[0] = 'tg'; runpy.run_module('transfergraph', run_name='__main__', alter_sys=True)"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tg(*args: str, timings: Path | None = None) -> tuple[float, dict[str, Any], dict[str, Any]]:
    """Run `tg ... -f json` as a user would; seconds, the summary rows by entity, and what it used:
    peak RSS of the tg process (wait4; with --bulk, from the step timings `tg` writes into
    `timings`, as wait4's figure would include the importer it ran) and the --bulk step seconds."""
    env = dict(os.environ)
    if timings is not None:
        timings.unlink(missing_ok=True)
        env["TG_BULK_TIMINGS"] = str(timings)
    rss_file = OUT / "tg-peak-rss.txt"
    rss_file.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", TG_MAIN, str(rss_file), *args, "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"tg {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    used: dict[str, Any] = {}
    if timings is not None and timings.exists():
        steps = json.loads(timings.read_text())
        used["seconds_by_step"] = steps.pop("seconds")
        used |= {k: v for k, v in steps.items() if k != "tg_peak_rss_mib"}
    used["tg_peak_rss_mib"] = int(rss_file.read_text()) / 1024  # the tg process itself (no children)
    return elapsed, {row["entity"]: row for row in json.loads(proc.stdout)}, used


def created(summary: dict[str, Any]) -> int:
    """Graph rows a call created (nodes + relationships): what the three paths are compared on."""
    return sum(int(row["created"]) for row in summary.values())


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
    from transfergraph.ingest.bulk import combined
    from transfergraph.loaders import runs

    settings = config.load()
    zoo = OUT / f"zoo-{args.models}-{args.runs}"
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

    stamp = json.dumps(results["scale"], sort_keys=True)
    started = time.monotonic()
    if (zoo / "scale.json").exists() and (zoo / "scale.json").read_text() == stamp:
        log(f"reusing the zoo in {zoo} (synth_zoo.py is deterministic for these arguments)")
    else:
        log(f"generating the zoo into {zoo}")
        (zoo / "scale.json").unlink(missing_ok=True)
        subprocess.run(
            [sys.executable, str(REPO / "benchmarks" / "synth_zoo.py"), "--models", str(args.models),
             "--runs", str(args.runs), "--datasets", str(args.datasets), "--seed", str(args.seed),
             "--model-skew", str(args.model_skew), "--dataset-skew", str(args.dataset_skew),
             "--out", str(zoo)],
            check=True,
        )  # fmt: skip
        (zoo / "scale.json").write_text(stamp)
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
            t_runs, s_runs, u_runs = tg(*runs_args, *batch)
            t_hf, s_hf, u_hf = tg(*hf_args, *batch)
            phases["transactional"] = {
                "runs": {
                    "seconds": t_runs,
                    "graph_rows": created(s_runs),
                    **u_runs,
                },
                "hf-models": {
                    "seconds": t_hf,
                    "graph_rows": created(s_hf),
                    **u_hf,
                },
                "server_peak_rss_mib": peak_rss_mib(server.running_pid(settings)),
            }
            log(f"    runs {t_runs:.1f}s, hf-models {t_hf:.1f}s")

        log("(b) bulk: tg ingest runs --hf-models-file --bulk, one call into an empty database")
        t = time.monotonic()
        reset()
        results["server"]["reset_s"] = time.monotonic() - t
        timings = OUT / "bulk-timings.json"
        t_bulk, s_bulk, u_bulk = tg(
            *runs_args, "--hf-models-file", str(models_jsonl), "--bulk", timings=timings
        )
        phases["bulk"] = {
            "seconds": t_bulk, "rows": sum(r["rows"] for r in s_bulk.values()),
            "graph_rows": created(s_bulk), **u_bulk,
            "server_peak_rss_mib": peak_rss_mib(server.running_pid(settings)),
        }  # fmt: skip
        log(f"    {t_bulk:.1f}s {u_bulk}")

        log("(c) raw neo4j-admin import of the bulk call's CSV files")
        server.stop(settings, say=lambda _: None)
        mapping = runs.Mapping("model", "dataset", "accuracy", "run_id", hparams=("lr", "epochs"))
        directory = OUT / "csv" / "combined"
        shutil.rmtree(directory, ignore_errors=True)
        t = time.monotonic()
        prepared = combined.runs_and_hf_models([runs_csv], mapping, "image", [models_jsonl], directory)
        if prepared is None:
            raise SystemExit("the combined columnar pass handed the files over: (b) took the Records path")
        t_csv = time.monotonic() - t
        seconds, rss = timed_import(settings, prepared.layout)
        phases["raw"] = {
            "seconds": seconds,
            "graph_rows": sum(prepared.expected.values()),
            "read_check_write_csv_s": t_csv,
            "csv_mib": prepared.layout.bytes / 2**20,
            "import_peak_rss_mib": rss,
        }
        log(f"    read, check, write CSV {t_csv:.1f}s, neo4j-admin {seconds:.1f}s")
        shutil.rmtree(directory, ignore_errors=True)
    finally:
        server.stop(settings, say=lambda _: None)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["phases"] = phases
    (OUT / f"results-{args.models}-{args.runs}.json").write_text(json.dumps(results, indent=2))
    print(report(results))
    return 0


def report(results: dict[str, Any]) -> str:
    phases = results["phases"]
    raw = phases["raw"]
    rows = raw["graph_rows"]  # nodes + relationships in the graph: the same for the three paths
    totals = {"raw": raw["seconds"], "bulk": phases["bulk"]["seconds"]}
    if "transactional" in phases:
        t = phases["transactional"]
        totals["transactional"] = t["runs"]["seconds"] + t["hf-models"]["seconds"]
        assert t["runs"]["graph_rows"] + t["hf-models"]["graph_rows"] == rows, "different graphs"
    assert phases["bulk"]["graph_rows"] == rows, "different graphs"
    names = {"transactional": "transactional `tg ingest runs`, then `tg ingest hf-models`",
             "bulk": "`tg ingest runs ... --hf-models-file ... --bulk` (one call)",
             "raw": "raw `neo4j-admin database import` (one import)"}  # fmt: skip
    lines = [
        "| path | graph rows | seconds | rows/s | rows/s vs raw | time vs raw |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for path in [p for p in ("transactional", "bulk", "raw") if p in totals]:
        sec = totals[path]
        lines.append(
            f"| {names[path]} | {rows:,} | {sec:.1f} | {rows / sec:,.0f} | {raw['seconds'] / sec:.3f} "
            f"| {sec / raw['seconds']:.2f}x |"
        )
    if "transactional" in phases:
        t = phases["transactional"]
        lines.append(
            f"\ntransactional per call: runs {t['runs']['seconds']:.1f} s, "
            f"hf-models {t['hf-models']['seconds']:.1f} s"
        )
    bulk = phases["bulk"]
    sec = bulk["seconds_by_step"]
    other = bulk["seconds"] - sum(sec.values())
    step_lines = [
        "| " + " | ".join(sec) + " | other (interpreter start, summary) | total |",
        "|" + "---:|" * (len(sec) + 2),
        "| " + " | ".join(f"{v:.1f}" for v in sec.values()) + f" | {other:.1f} | {bulk['seconds']:.1f} |",
    ]
    rss = ["| path | tg process | server (VmHWM) | neo4j-admin importer |", "|---|---:|---:|---:|"]
    if "transactional" in phases:
        t = phases["transactional"]
        tg_rss = max(t["runs"]["tg_peak_rss_mib"], t["hf-models"]["tg_peak_rss_mib"])
        rss.append(f"| transactional | {tg_rss:,.0f} MiB | {t['server_peak_rss_mib'] or 0:,.0f} MiB | - |")
    rss.append(f"| bulk | {bulk['tg_peak_rss_mib']:,.0f} MiB | {bulk['server_peak_rss_mib'] or 0:,.0f} MiB "
               f"| {bulk.get('import_peak_rss_mib', 0):,.0f} MiB |")  # fmt: skip
    rss.append(f"| raw | | | {raw['import_peak_rss_mib']:,.0f} MiB |")
    s, m = results["scale"], results["machine"]
    return "\n".join(
        [
            f"scale: {s['models']:,} models, {s['runs']:,} runs, {s['datasets']:,} datasets "
            f"(seed {s['seed']}, skew {s.get('model_skew', 1.1)}/{s.get('dataset_skew', 1.0)}); "
            f"{m['affinity']} cores, {m['mem_gib']} GiB, load average "
            f"{m['loadavg_start'][0]:.1f} at start, {m['loadavg_end'][0]:.1f} at end",
            "",
            *lines,
            "",
            "`--bulk` steps (seconds, from TG_BULK_TIMINGS):",
            "",
            *step_lines,
            "",
            "peak RSS:",
            "",
            *rss,
            "",
            f"raw's import files, written in-process before (c): read, check, write CSV "
            f"{raw['read_check_write_csv_s']:.1f} s ({raw['csv_mib']:.0f} MiB)",
            f"server start: {results['server']['first_start_s']:.1f} s (first), "
            f"{results['server']['reset_s']:.1f} s (stop + start)",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
