"""Model cards at scale: `tg ingest model-cards` on generated Hub records vs the same runs from a CSV
through `tg ingest runs`, transactional and `--bulk`, time and peak memory of the tg process.

    nice -n 10 .venv/bin/python benchmarks/cards_bench.py                 # 200k cards
    nice -n 10 .venv/bin/python benchmarks/cards_bench.py --cards 50000

Runs on the managed server the environment names (TG_SERVER_DIR, TG_BOLT_PORT, ...): its database
is DISCARDED before each measurement (stopped, store deleted, started). Writes
benchmarks/out/cards-CARDS.jsonl, the CSV of the runs the loader made of it, and
benchmarks/out/cards-results-CARDS.json.

The generated cards hold the messy shapes of a real crawl in fixed proportions (`SHAPES`, out of
100 cards; seeded, so deterministic): each card has an accuracy result and an f1 result (the f1 one
is never a run), 1 in 4 cards a second accuracy result on another dataset. Base models are drawn
from 2,000 ids, datasets from 400 (with configs), fine-tuned model ids are unique.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ingest_bench import TG_MAIN, log  # beside this file: the same tg-with-peak-RSS runner

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"

# shape -> cards out of 100 (docs/model-cards.md, "Benchmark")
SHAPES = {
    "clean (base_model in the front matter)": 40,
    "base model only in the card text": 20,
    "dataset with no identity (imagefolder, image_folder, generator, empty, None)": 8,
    "percentage (92.1)": 5,
    "value as text with uncertainty ('0.88 ± 0.01')": 3,
    "NaN value": 2,
    "negative value": 1,
    "base model is the model itself": 3,
    "unknown task (translation)": 8,
    "no card data": 5,
    "malformed model-index result (no dataset)": 3,
    "glue without config (skipped)": 1,
    "glue with its config in dataset.args": 1,
}
assert sum(SHAPES.values()) == 100
NO_IDENTITY = ["imagefolder", "image_folder", "generator", "", None]
TASKS = {"image": "image-classification", "text": "text-classification"}


def _result(task: str, dataset: Any, value: Any, metric: str = "accuracy", **ds: Any) -> dict[str, Any]:
    return {
        "task": {"type": task},
        "dataset": {"type": dataset, "name": str(dataset), "split": "validation", **ds},
        "metrics": [{"type": metric, "value": value}],
    }


def card(i: int, rng: random.Random, shape: str) -> dict[str, Any]:
    """One Hub record of `shape`."""
    model = f"user{i % 5000}/ft-{i}"
    modality = "image" if rng.random() < 0.4 else "text"
    base = f"base{rng.randrange(2000)}/{modality}-model"
    dataset, config = f"ds{rng.randrange(400)}", rng.choice([None, "default", "plain", "v2"])
    value: Any = round(rng.uniform(0.3, 0.99), 4)
    task = TASKS[modality]
    extra: dict[str, Any] = {}
    text = None
    if shape.startswith("no card data"):
        return {"id": model, "card_data": None}
    if shape.startswith("dataset with no identity"):
        dataset, config = rng.choice(NO_IDENTITY), None
    elif shape.startswith("percentage"):
        value = round(value * 100, 2)
    elif shape.startswith("value as text"):
        value = f"{value} ± 0.01"
    elif shape.startswith("NaN"):
        value = float("nan")
    elif shape.startswith("negative"):
        value = -value
    elif shape.startswith("unknown task"):
        task = "translation"
    elif shape.startswith("glue without"):
        dataset, config = "glue", None
    elif shape.startswith("glue with"):
        dataset, config, extra = "glue", None, {"args": rng.choice(["sst2", "cola", "mnli"])}
    results = [_result(task, dataset, value, config=config, **extra), _result(task, dataset, 0.5, "f1")]
    if shape.startswith("malformed"):
        del results[0]["dataset"]
    if rng.random() < 0.25:  # a second accuracy result on another dataset
        results.append(_result(task, f"ds{rng.randrange(400)}", round(rng.uniform(0.3, 0.99), 4)))
    data: dict[str, Any] = {"model-index": [{"name": model, "results": results}]}
    if shape.startswith("base model is the model itself"):
        data["base_model"] = model
    elif shape.startswith("base model only in the card text"):
        text = f"This model is a fine-tuned version of [{base}](https://huggingface.co/{base}) on data."
    else:
        data["base_model"] = base
    record = {"id": model, "card_data": data, "lastModified": f"2024-{1 + i % 12:02d}-01T00:00:00.000Z"}
    if text is not None:
        record["card_text"] = text
    return record


def generate(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    shapes = [s for s, k in SHAPES.items() for _ in range(k)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(card(i, rng, shapes[i % 100])) + "\n")


def runs_csv(cards: Path, path: Path) -> int:
    """The runs the loader makes of the cards, as a CSV for `tg ingest runs` (same run ids)."""
    sys.path.insert(0, str(REPO))
    from transfergraph.loaders import model_cards

    records, _ = model_cards.load(files=[cards])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["run_id", "model", "dataset", "accuracy"])
        for r in records.runs:
            w.writerow([r["run_id"], r["model"], r["dataset"], repr(r["props"]["accuracy"])])
    return len(records.runs)


def fresh_database() -> None:
    """Stop the managed server, delete its database, start it: an empty graph."""
    from transfergraph import config
    from transfergraph.ingest import bulk

    tg_plain("db", "stop")
    bulk.discard_store(config.load())
    tg_plain("db", "start")


def tg_plain(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "transfergraph", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"tg {' '.join(args)} failed: {proc.stderr.strip()[-400:]}")


def tg(*args: str) -> tuple[float, float, Any]:
    """(seconds, peak RSS of the tg process in MiB, its JSON output) of `tg ARGS -f json`."""
    rss_file = OUT / "tg-peak-rss.txt"
    rss_file.unlink(missing_ok=True)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", TG_MAIN, str(rss_file), *args, "-f", "json"], capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"tg {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return elapsed, int(rss_file.read_text()) / 1024, json.loads(proc.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--skip-bulk", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cards, csv_path = OUT / f"cards-{args.cards}.jsonl", OUT / f"cards-{args.cards}-runs.csv"
    started = time.monotonic()
    generate(cards, args.cards, args.seed)
    size = cards.stat().st_size / 2**20
    log(f"generated {args.cards} cards in {time.monotonic() - started:.1f}s ({size:.0f} MiB)")
    n_runs = runs_csv(cards, csv_path)
    log(f"{n_runs} runs written to {csv_path}")
    run_cols = ["--modality", "text", "--model-col", "model", "--dataset-col", "dataset"]
    run_cols += ["--accuracy-col", "accuracy", "--run-id-col", "run_id"]
    results: dict[str, Any] = {"cards": args.cards, "runs": n_runs, "shapes_per_100": SHAPES}
    plan = [
        ("cards, transactional", ["ingest", "model-cards", str(cards)]),
        ("cards, re-run (writes nothing)", None),
        ("CSV runs, transactional", ["ingest", "runs", str(csv_path), *run_cols]),
    ]
    if not args.skip_bulk:
        plan += [
            ("cards, --bulk", ["ingest", "model-cards", str(cards), "--bulk"]),
            ("CSV runs, --bulk", ["ingest", "runs", str(csv_path), *run_cols, "--bulk"]),
        ]
    for name, cmd in plan:
        if cmd is None:  # the re-run: same command, same database
            cmd = ["ingest", "model-cards", str(cards)]
        else:
            fresh_database()
        log(f"{name}: tg {' '.join(cmd)}")
        seconds, rss, out = tg(*cmd)
        rows = out["entities"] if isinstance(out, dict) else out
        summary = {
            r["entity"]: {k: r.get(k) for k in ("rows", "created", "updated", "unchanged")} for r in rows
        }
        results[name] = {"seconds": round(seconds, 1), "tg_peak_rss_mib": round(rss), "summary": summary}
        if isinstance(out, dict):
            results[name]["account"] = out["account"]
        log(f"{name}: {seconds:.1f}s, tg peak RSS {rss:.0f} MiB, runs {summary['runs']}")
    results["loadavg_end"] = os.getloadavg()
    results["self_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    target = OUT / f"cards-results-{args.cards}.json"
    target.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "shapes_per_100"}, indent=2)[:6000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
