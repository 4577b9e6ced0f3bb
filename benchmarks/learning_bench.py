"""The learning half at hub scale, from ingest to `tg recommend`, on a server of its own.

    python benchmarks/learning_bench.py --models 100000 --runs 1000000 --datasets 1000 [--heap 6g]

Generates a zoo (`synth_zoo.py`, seed 3), starts a managed server in a temporary folder (its own
ports), then runs each step as a separate `tg` process, as a user would: `ingest runs --bulk`,
`graph build`, `predict` with the model prior and with one learned method, `recommend`, and for
comparison a bare driver process (`BARE`: Python importing only the `neo4j` driver, one query, its
rows printed) and `tg db cypher` with the same query. Prints each step's wall seconds, the tg
process's peak RSS and the server's peak RSS (VmHWM) after the step, the ratio of `tg predict` to
the bulk ingest and of `recommend` to the bare driver process. The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The floor of any Python client: import the driver, connect, one query on the dataset, print the rows.
# argv: URI, dataset id; the password in BENCH_PASSWORD. `tg db cypher` runs BARE_QUERY too.
BARE_QUERY = "MATCH (d:Dataset {id: $d}) RETURN d.id"
BARE = """
import os, sys
import neo4j
with neo4j.GraphDatabase.driver(sys.argv[1], auth=("neo4j", os.environ["BENCH_PASSWORD"])) as drv:
    records, _, _ = drv.execute_query("MATCH (d:Dataset {id: $d}) RETURN d.id", {"d": sys.argv[2]})
    for record in records:
        print(record.data())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_hwm_mib(server_dir: Path) -> float | None:
    try:
        pid = int((server_dir / "run" / "tg-neo4j.pid").read_text().strip())
        status = Path(f"/proc/{pid}/status").read_text() if pid else ""
    except (OSError, ValueError):
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def step(name: str, args: list[str], env: dict[str, str], server_dir: Path) -> dict[str, object]:
    timings = server_dir.parent / "predict-timings.json"
    timings.unlink(missing_ok=True)
    env = {**env, "TG_PREDICT_TIMINGS": str(timings)}
    rss = server_dir.parent / "rss"
    rss.unlink(missing_ok=True)
    # the process's own peak RSS (a child's ru_maxrss seen from here includes this script's pre-exec memory)
    timed = ["/usr/bin/time", "-f", "%M", "-o", str(rss), *args] if Path("/usr/bin/time").exists() else args
    start = time.perf_counter()
    proc = subprocess.run(timed, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = rss.read_text().split()[-1] if rss.exists() else None
    row = {
        "step": name,
        "seconds": round(seconds, 1),
        "tg_peak_mib": round(int(peak) / 1024) if peak and peak.isdigit() else None,
        "server_peak_mib": server_hwm_mib(server_dir),
        "exit": proc.returncode,
    }
    if timings.exists():  # tg predict's seconds per step (transfergraph/predict/run.py)
        row["steps"] = json.loads(timings.read_text())
    print(row, flush=True)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    return row


def tiny_probe(work: Path) -> tuple[Path, Path] | None:
    """(a tiny random ViT saved offline, a folder of 12 images in 2 classes), as the user-dataset
    tests make them; None without torch and transformers."""
    try:
        import numpy as np
        import torch
        from PIL import Image
        from transformers import ViTConfig, ViTImageProcessor, ViTModel
    except ImportError:
        return None
    torch.manual_seed(0)
    vit = work / "tiny-vit"
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37,
                       image_size=32, patch_size=8)  # fmt: skip
    ViTModel(config).save_pretrained(vit)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(vit)
    images = work / "images"
    rng = np.random.default_rng(0)
    for c, level in (("dark", 40), ("light", 210)):
        (images / c).mkdir(parents=True, exist_ok=True)
        for i in range(6):
            pixels = np.clip(rng.normal(level, 20, (32, 32, 3)), 0, 255).astype("uint8")
            Image.fromarray(pixels).save(images / c / f"{i}.png")
    return vit, images


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--datasets", type=int, required=True)
    ap.add_argument("--heap", default="6g")
    ap.add_argument("--pagecache", default="2g")
    ap.add_argument("--learned", default="rf+none", help="Learned method to time too; 'none' skips.")
    ap.add_argument("--keep", type=Path, help="Keep the generated zoo here (reused when present).")
    ap.add_argument("--server-dir", type=Path, help="Run the server in this (new) folder and keep it, "
                    "stopped, for later measurements (recommend_bench.py --running).")  # fmt: skip
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tg-learning-"))
    zoo = a.keep or work / "zoo"
    if not (zoo / "runs.csv").exists():
        subprocess.run([sys.executable, str(HERE / "synth_zoo.py"), "--models", str(a.models), "--runs",
                        str(a.runs), "--datasets", str(a.datasets), "--out", str(zoo), "--seed", "3"],
                       check=True)  # fmt: skip
    server_dir = a.server_dir or work / "server"
    bolt = free_port()
    env = {**os.environ, "TG_SERVER_DIR": str(server_dir), "TG_BOLT_PORT": str(bolt),
           "TG_HTTP_PORT": str(free_port()), "TG_HEAP": a.heap, "TG_PAGECACHE": a.pagecache}  # fmt: skip
    env.pop("NEO4J_URI", None)
    tg = [sys.executable, "-m", "transfergraph"]
    subprocess.run([*tg, "db", "start"], env=env, check=True, capture_output=True)
    rows = []
    try:
        ingest = [*tg, "ingest", "runs", str(zoo / "runs.csv"), "--modality", "image", "--model-col", "model",
                  "--dataset-col", "dataset", "--accuracy-col", "accuracy", "--run-id-col", "run_id",
                  "--hf-models-file", str(zoo / "hf-models.jsonl"), "--bulk"]  # fmt: skip
        rows.append(step("ingest --bulk", ingest, env, server_dir))
        rows.append(step("graph build", [*tg, "graph", "build"], env, server_dir))
        rows.append(step("predict model-prior", [*tg, "predict", "--method", "model-prior"], env, server_dir))
        if a.learned != "none":
            learned = [*tg, "predict", "--method", a.learned]
            rows.append(step(f"predict {a.learned}", learned, env, server_dir))
        probe = tiny_probe(work)
        if probe is None:
            print("dataset add / predict --dataset: skipped (needs the [gnn,hf] extras: torch, transformers)")
        else:  # one new dataset ranked against every model: the saved state of the full run is reused
            vit, images = probe
            add = [*tg, "dataset", "add", "shades", "--from", str(images), "--modality", "image", "--probe",
                   "tiny-vit", "--probe-path", str(vit)]  # fmt: skip
            rows.append(step("dataset add", add, env, server_dir))
            one = [*tg, "predict", "--dataset", "shades", "--method", "model-prior"]
            rows.append(step("predict --dataset", one, env, server_dir))
        with open(zoo / "runs.csv", newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            dataset = next(reader)["dataset"]  # the most popular dataset leads the file
        rows.append(step("recommend", [*tg, "recommend", "--dataset", dataset, "--method", "model-prior"],
                         env, server_dir))  # fmt: skip
        bare_env = {**env, "BENCH_PASSWORD": (server_dir / "password").read_text().strip()}
        bare = [sys.executable, "-c", BARE, f"bolt://127.0.0.1:{bolt}", dataset]
        rows.append(step("bare driver process", bare, bare_env, server_dir))
        rows.append(step("tg db cypher", [*tg, "db", "cypher", BARE_QUERY, "--param", f"d={dataset}"], env,
                         server_dir))  # fmt: skip
    finally:
        subprocess.run([*tg, "db", "stop"], env=env, capture_output=True)
    loaded = rows[0]["seconds"]
    for r in rows:
        if str(r["step"]).startswith("predict") and isinstance(loaded, float) and loaded > 0:
            print(f"{r['step']}: {float(r['seconds']) / loaded:.2f}x the bulk ingest's time")  # type: ignore[arg-type]
    seconds = {str(r["step"]): float(r["seconds"]) for r in rows}  # type: ignore[arg-type]
    if seconds.get("bare driver process") and "recommend" in seconds:
        ratio = seconds["recommend"] / seconds["bare driver process"]
        print(f"recommend / bare driver process: {ratio:.2f}x (one run each: recommend_bench.py has medians)")
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    elif a.server_dir is None:
        shutil.rmtree(server_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
