"""A full one-modality `tg evaluate` of one method (eight targets, one seed) on 2 cores, beside the
paper's 187 s for its single cifar100 target (TG:XGB:GAT; docs/method.md, "Evaluation").

Also: `tg recommend` whole-process time against a bare driver query process (goal <= 1.5x).

Usage (the server must hold the paper zoo and the production view with predictions):
    python benchmarks/evaluate_bench.py --modality image --method xgb+none [--recommend cifar100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PAPER_SECONDS = 187.0
CORES = "0,1"

BARE = """
import neo4j
from transfergraph import config, server
s = config.load()
with neo4j.GraphDatabase.driver(s.bolt_uri, auth=(s.username, server.password(s))) as d:
    d.execute_query("MATCH (m:Model)-[p:PREDICTED {view: 'all'}]->(:Dataset {id: $d}) "
                    "RETURN m.id, p.score ORDER BY p.score DESC LIMIT 10", d=sys.argv[1])
"""


def pinned(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", CORES, *cmd] if sys.platform.startswith("linux") else cmd


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(pinned(cmd), capture_output=True, text=True, env=os.environ)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modality", default="image")
    ap.add_argument("--method", default="xgb+none")
    ap.add_argument("--recommend", default=None, help="Dataset to time `tg recommend` on.")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    result: dict[str, object] = {}
    if args.recommend:
        tg = [sys.executable, "-m", "transfergraph", "recommend", "--dataset", args.recommend]
        bare = [sys.executable, "-c", "import sys\n" + BARE, args.recommend]
        rec = statistics.median(timed(tg) for _ in range(args.repeats))
        raw = statistics.median(timed(bare) for _ in range(args.repeats))
        result |= {"recommend_seconds": round(rec, 3), "bare_driver_seconds": round(raw, 3),
                   "ratio": round(rec / raw, 2), "goal_ratio": 1.5}  # fmt: skip
    cmd = [sys.executable, "-m", "transfergraph", "evaluate", "--modality", args.modality, "--methods",
           args.method, "--seeds", "1", "--format", "json", "--no-record"]  # fmt: skip
    seconds = timed(cmd)
    result |= {"modality": args.modality, "method": args.method, "targets": 8, "seeds": 1, "cores": 2,
               "evaluate_seconds": round(seconds, 1), "paper_seconds_one_target": PAPER_SECONDS,
               "within_goal": seconds < PAPER_SECONDS}  # fmt: skip
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
