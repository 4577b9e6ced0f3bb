"""`tg ingest mlflow` and `tg sync` timings on a real MLflow store (SQLite) and a running server.

    nice -n 10 .venv/bin/python benchmarks/sync_bench.py --runs 10000
    nice -n 10 .venv/bin/python benchmarks/sync_bench.py --runs 10000 \
        --zoo ../shared/data/transfergraph-zoo --evaluate

Uses the server the environment names (TG_SERVER_DIR / TG_BOLT_PORT, or NEO4J_URI): its graph is
WIPED first. Steps, each a `tg` process timed end to end (with its peak RSS from /usr/bin/time):

  1. an MLflow store of RUNS runs (MODELS models x DATASETS datasets, 1% without the dataset param),
     made with MLflow's own client: create_run, one log_batch (params and the metric), set_terminated
     per run (three calls, the fewest MLflow's API allows for a finished run); its seconds reported;
  2. `tg ingest mlflow` of the whole store; 3. again (nothing new: the cursor); 4. five new runs;
  5. `tg sync` of a job (the MLflow experiment and, with --zoo, the paper zoo's image half) into the
     graph as it is: the first sync builds the view and predicts; 6. the same job again, unchanged;
  7. with --evaluate: `tg evaluate --modality image --targets auto` on the synced graph.

Writes benchmarks/out/sync-RUNS.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"


def make_store(folder: Path, runs: int, models: int, datasets: int) -> tuple[str, float]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    folder.mkdir(parents=True, exist_ok=True)
    db, made = folder / "mlflow.db", folder / "made.json"
    uri = f"sqlite:///{db}"
    if made.exists() and json.loads(made.read_text())["runs"] == runs:  # reused: five runs more each time
        return uri, float(json.loads(made.read_text())["seconds"])
    if db.exists():
        db.unlink()
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench")
    start = time.monotonic()
    for i in range(runs):
        log_run(client, exp, i, models, datasets, Metric, Param)
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} runs logged, {time.monotonic() - start:.0f} s", file=sys.stderr)
    seconds = time.monotonic() - start
    made.write_text(json.dumps({"runs": runs, "seconds": round(seconds, 1)}))
    return uri, seconds


def log_run(client: Any, exp: str, i: int, models: int, datasets: int, metric: Any, param: Any) -> str:
    r = client.create_run(exp)
    now = int(time.time() * 1000)
    params = [param("model", f"bench/m{i % models}"), param("lr", str(10 ** -(2 + i % 3)))]
    if i % 100 != 99:  # 1% without the dataset param: skipped and counted
        params.append(param("dataset", f"bench-d{(i * 7) % datasets}"))
    acc = 0.3 + 0.6 * ((i * 2654435761) % 1000) / 1000
    client.log_batch(r.info.run_id, metrics=[metric("acc", acc, now, 0)], params=params)
    client.set_terminated(r.info.run_id)
    return str(r.info.run_id)


def timed(*args: str) -> dict[str, Any]:
    """`tg ARGS` in a process of its own: seconds, peak RSS (MiB), exit code, its JSON output."""
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "transfergraph", *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    seconds = time.monotonic() - start
    rss = int(proc.stderr.strip().splitlines()[-1]) / 1024
    if proc.returncode != 0:
        raise SystemExit(f"tg {' '.join(args)} failed:\n{proc.stderr}")
    try:
        out: Any = json.loads(proc.stdout)
    except json.JSONDecodeError:
        out = proc.stdout
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(rss), "output": out}


def runs_row(result: dict[str, Any]) -> dict[str, Any]:
    out = result["output"]
    return next((r for r in out if r.get("entity") == "runs"), out[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--models", type=int, default=500)
    ap.add_argument("--datasets", type=int, default=50)
    ap.add_argument("--zoo", type=Path, help="the paper zoo's folder: its image half joins the job")
    ap.add_argument("--evaluate", action="store_true", help="then tg evaluate --targets auto")
    ap.add_argument(
        "--store-dir", type=Path, help="where the MLflow store goes (default benchmarks/out; a tmpfs such "
        "as /dev/shm makes MLflow's one-commit-per-call logging about 3x faster)",
    )  # fmt: skip
    ap.add_argument("--store-only", action="store_true", help="make the MLflow store (reused later), stop")
    args = ap.parse_args()
    folder = (args.store_dir or OUT) / f"sync-{args.runs}"
    print(f"1. logging {args.runs} runs into a SQLite MLflow store ...", file=sys.stderr)
    uri, made = make_store(folder, args.runs, args.models, args.datasets)
    if args.store_only:
        return
    from transfergraph import config, db

    with db.connect(config.load()) as drv, drv.session() as session:  # an implicit transaction
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    results: dict[str, Any] = {"runs": args.runs, "store_seconds": round(made, 1), "store": "sqlite"}
    common = ["--tracking-uri", uri, "-e", "bench", "--model-param", "model", "--dataset-param", "dataset",
              "--metric", "acc", "--hparam", "lr", "--modality", "image", "-f", "json"]  # fmt: skip
    first = timed("ingest", "mlflow", *common)
    results["ingest"] = {k: first[k] for k in ("seconds", "peak_rss_mib")} | {"runs": runs_row(first)}
    again = timed("ingest", "mlflow", *common)
    results["ingest_again"] = {k: again[k] for k in ("seconds", "peak_rss_mib")} | {"output": again["output"]}
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("bench").experiment_id
    for i in range(5):
        log_run(client, exp, args.runs + i * 100, args.models, args.datasets, Metric, Param)
    five = timed("ingest", "mlflow", *common)
    results["ingest_five_new"] = {k: five[k] for k in ("seconds", "peak_rss_mib")} | {"runs": runs_row(five)}
    job = folder / "job.toml"
    text = f'[sources.tracker]\nkind = "mlflow"\ntracking_uri = "{uri}"\nexperiments = ["bench"]\n'
    text += 'model_param = "model"\ndataset_param = "dataset"\nmetric = "acc"\nmodality = "image"\n'
    text += 'hparams = ["lr"]\n'
    if args.zoo:
        text += (
            f'\n[sources.zoo]\nkind = "paper-zoo"\npath = "{args.zoo.resolve()}"\nmodalities = ["image"]\n'
        )
    job.write_text(text)
    sync1 = timed("sync", str(job), "-f", "json")
    results["sync_first"] = {k: sync1[k] for k in ("seconds", "peak_rss_mib")} | {"output": sync1["output"]}
    sync2 = timed("sync", str(job), "-f", "json")
    results["sync_unchanged"] = {k: sync2[k] for k in ("seconds", "peak_rss_mib")} | {
        "output": sync2["output"]
    }
    if args.evaluate:
        ev = timed("evaluate", "--modality", "image", "--targets", "auto", "-f", "json")
        results["evaluate"] = {k: ev[k] for k in ("seconds", "peak_rss_mib")} | {"summary": ev["output"]}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"sync-{args.runs}.json").write_text(json.dumps(results, indent=2, default=str))
    short = {k: (v if not isinstance(v, dict) else {a: b for a, b in v.items() if a != "output"})
             for k, v in results.items()}  # fmt: skip
    print(json.dumps(short, indent=2, default=str))


if __name__ == "__main__":
    main()
