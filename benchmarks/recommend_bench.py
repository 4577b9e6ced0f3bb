"""`tg recommend` as a whole process against a bare driver process, and whether its queries grow with
the number of PREDICTED edges.

    python benchmarks/recommend_bench.py --models 20000 --runs 200000 --datasets 300 [--repeat 7]
    python benchmarks/recommend_bench.py --running [--repeat 7]      # the server of TG_SERVER_DIR as is

Without --running: generates a zoo (`synth_zoo.py`, seed 3), starts a managed server in a temporary
folder and fills it as a user would (`ingest runs --bulk`, `graph build`, `predict --method
model-prior`). Then, in rounds (so that a busy machine slows all three alike), times the whole
process of:

- `tg recommend --dataset D --method model-prior` (D: the dataset with the most runs, the one whose
  tried models cost most), as a table, with `--format json`, with filters on (FILTER: a parameter
  count and an exclude glob, run in the query) and with filters and `--format json`;
- a bare driver process: Python importing only the `neo4j` driver, connecting, running one query
  against D and printing its rows (`BARE`, the floor any Python client pays);
- `tg db cypher` with that same query (a tg process that does no recommending).

Prints the median (and min) seconds of each and the ratio of the medians. --compare DIR times the
`tg recommend` of another source tree in the same rounds (table and --format json, before/after a
change). With --filler N it also
PROFILEs each query `tg recommend` makes (db hits), adds N PREDICTED edges of the same view and
method between other datasets and models, PROFILEs again and times again: the hits must not move.
The filler edges are deleted at the end (with --running too).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from learning_bench import BARE, BARE_QUERY, free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

# Benchmark-only statements (not the product's: those live in cypher/).
FILLER = """
MATCH (d:Dataset) WHERE d.id <> $dataset
WITH d ORDER BY d.id LIMIT $datasets
CALL (d) {
  MATCH (m:Model) WHERE NOT EXISTS { (m)-[:PREDICTED]->(d) }
  WITH m ORDER BY m.id LIMIT $per_dataset
  CREATE (m)-[:PREDICTED {view: $view, method: $method, score: rand(), bench_filler: true}]->(d)
} IN TRANSACTIONS OF 10 ROWS
"""
DROP_FILLER = """
MATCH ()-[p:PREDICTED]->() WHERE p.bench_filler
CALL (p) { DELETE p } IN TRANSACTIONS OF 10000 ROWS
"""
COUNT = "MATCH ()-[p:PREDICTED]->() RETURN count(p) AS n"
POPULAR = "MATCH (d:Dataset) RETURN d.id AS id ORDER BY COUNT { (d)<-[:FINETUNED_ON]-() } DESC, id LIMIT 1"
# The filters timed: what a user with a small GPU and a dislike of one namespace would ask for.
FILTER = ["--max-params", "100M", "--exclude", "user1*"]
VARIANTS = {  # name -> extra arguments of `tg recommend`
    "tg recommend": [],
    "tg recommend -f json": ["--format", "json"],
    "tg recommend filtered": FILTER,
    "tg recommend filtered -f json": [*FILTER, "--format", "json"],
}


def whole(args: list[str], env: dict[str, str], tree: Path = ROOT) -> float:
    """Seconds of one process running `args` with the package of `tree` (a source checkout)."""
    start = time.perf_counter()
    tree_env = {**env, "PYTHONPATH": str(tree)}
    proc = subprocess.run(args, env=tree_env, cwd=tree, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} ... failed:\n{proc.stderr[-2000:]}")
    return seconds


def timings(dataset: str, env: dict[str, str], repeat: int, compare: Path | None) -> None:
    tg = [sys.executable, "-m", "transfergraph"]
    recommend = [*tg, "recommend", "--dataset", dataset, "--method", "model-prior"]
    commands = {
        **{name: ([*recommend, *extra], ROOT) for name, extra in VARIANTS.items()},
        "bare driver process": ([sys.executable, "-c", BARE, env["BENCH_URI"], dataset], ROOT),
        "tg db cypher": ([*tg, "db", "cypher", BARE_QUERY, "--param", f"d={dataset}"], ROOT),
    }
    if compare is not None:  # the options both trees have: the table and --format json
        commands[f"tg recommend of {compare.name}"] = (recommend, compare)
        commands[f"tg recommend -f json of {compare.name}"] = ([*recommend, "--format", "json"], compare)
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for args, tree in commands.values():
        whole(args, env, tree)  # warm the OS cache and the server's plan cache
    for _ in range(repeat):
        for name, (args, tree) in commands.items():
            seconds[name].append(whole(args, env, tree))
    for name, values in seconds.items():
        print(f"{name:36s} median {statistics.median(values):.3f} s  min {min(values):.3f} s  (n={repeat})")
    bare = statistics.median(seconds["bare driver process"])
    for name in VARIANTS:
        print(f"{name} / bare driver process: {statistics.median(seconds[name]) / bare:.2f}x (medians)")
    sys.stdout.flush()
    if compare is not None:
        for name in (f"tg recommend of {compare.name}", f"tg recommend -f json of {compare.name}"):
            print(f"{name} / bare driver process: {statistics.median(seconds[name]) / bare:.2f}x (medians)")


def recorded(dataset: str, env: dict[str, str]) -> list[tuple[str, dict[str, object]]]:
    """The statements `tg recommend --dataset D --method model-prior` runs (a table or JSON: the same),
    then with FILTER, with their parameters (a name seen again is suffixed ` filtered`)."""
    from dataclasses import replace

    from transfergraph import config, db
    from transfergraph.cli.recommend import parse_count
    from transfergraph.readback import recommend as readback
    from transfergraph.readback.filters import ModelFilter

    calls: list[tuple[str, dict[str, object]]] = []

    def recording(drv: object, name: str, **params: object) -> list[dict[str, object]]:
        calls.append((name, params))
        return db.run(drv, name, **params)  # type: ignore[arg-type]

    settings = replace(config.load(), uri=env["BENCH_URI"], password=env["BENCH_PASSWORD"])
    with db.connect(settings) as drv:
        readback.run, original = recording, readback.run  # type: ignore[assignment]
        try:
            readback.recommend(drv, dataset, method="model-prior", list_tried=False)
            filters = ModelFilter(max_params=parse_count(FILTER[1]), exclude=(FILTER[3],))
            first = len(calls)
            readback.recommend(drv, dataset, method="model-prior", list_tried=False, filters=filters)
            calls[first:] = [(f"{name} filtered", params) for name, params in calls[first:]]
        finally:
            readback.run = original
    return calls


def profile(dataset: str, env: dict[str, str]) -> dict[str, int]:
    """db hits of each statement `tg recommend` runs."""
    import neo4j

    from transfergraph.cypher import query

    hits = {}
    auth = ("neo4j", env["BENCH_PASSWORD"])
    with neo4j.GraphDatabase.driver(env["BENCH_URI"], auth=auth, notifications_min_severity="OFF") as drv:
        for name, params in recorded(dataset, env):
            with drv.session() as session:
                result = session.run("PROFILE " + query(name.removesuffix(" filtered")), params)
                list(result)  # materialised, or the server has no profile to give
                hits[name] = _hits(result.consume().profile)
    return hits


def _hits(plan: dict[str, object] | None) -> int:
    if not plan:
        return 0
    own = int(plan.get("dbHits", 0))  # type: ignore[call-overload]
    return own + sum(_hits(c) for c in plan.get("children", []))  # type: ignore[attr-defined]


def run_statement(statement: str, env: dict[str, str], **params: object) -> list[dict[str, object]]:
    import neo4j

    auth = ("neo4j", env["BENCH_PASSWORD"])
    with (
        neo4j.GraphDatabase.driver(env["BENCH_URI"], auth=auth, notifications_min_severity="OFF") as drv,
        drv.session() as session,
    ):
        return [r.data() for r in session.run(statement, params)]


def measure(
    dataset: str, env: dict[str, str], repeat: int, filler: int, filler_datasets: int, compare: Path | None
) -> None:
    from transfergraph import views

    print(f"dataset {dataset}; PREDICTED edges: {run_statement(COUNT, env)[0]['n']}")
    before = profile(dataset, env)
    for name, hits in before.items():
        print(f"{name:32s} db hits {hits:>9}")
    timings(dataset, env, repeat, compare)
    if not filler:
        return
    try:
        per = max(1, filler // filler_datasets)
        run_statement(FILLER, env, dataset=dataset, datasets=filler_datasets, per_dataset=per,
                      view=views.PRODUCTION, method="model-prior")  # fmt: skip
        print(f"PREDICTED edges with filler on other datasets: {run_statement(COUNT, env)[0]['n']}")
        after = profile(dataset, env)
        for name, hits in before.items():
            print(f"{name:32s} db hits {hits:>9} -> {after[name]:>9}")
        timings(dataset, env, repeat, compare)
    finally:
        run_statement(DROP_FILLER, env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=200000)
    ap.add_argument("--datasets", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--heap", default="2g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--keep", type=Path, help="Keep the generated zoo here (reused when present).")
    ap.add_argument("--running", action="store_true", help="Use the running server of TG_SERVER_DIR.")
    ap.add_argument("--dataset", help="The dataset to recommend for (default: the zoo's most popular).")
    ap.add_argument("--filler", type=int, default=0, help="PREDICTED edges to add on other datasets.")
    ap.add_argument("--filler-datasets", type=int, default=200)
    ap.add_argument("--compare", type=Path, help="Also time `tg recommend` of this source tree (e.g. a "
                    "`git archive` of the commit before a change).")  # fmt: skip
    a = ap.parse_args()
    from transfergraph import config

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NEO4J_URI", None)
    if a.running:
        settings = config.load()
        env["BENCH_URI"] = settings.bolt_uri
        env["BENCH_PASSWORD"] = (settings.server_dir / "password").read_text().strip()
        dataset = a.dataset or str(run_statement(POPULAR, env)[0]["id"])
        measure(dataset, env, a.repeat, a.filler, a.filler_datasets, a.compare)
        return
    work = Path(tempfile.mkdtemp(prefix="tg-recommend-"))
    zoo = a.keep or work / "zoo"
    if not (zoo / "runs.csv").exists():
        subprocess.run([sys.executable, str(HERE / "synth_zoo.py"), "--models", str(a.models), "--runs",
                        str(a.runs), "--datasets", str(a.datasets), "--out", str(zoo), "--seed", "3"],
                       check=True)  # fmt: skip
    server_dir = work / "server"
    bolt = free_port()
    env.update({"TG_SERVER_DIR": str(server_dir), "TG_BOLT_PORT": str(bolt), "TG_HTTP_PORT": str(free_port()),
                "TG_HEAP": a.heap, "TG_PAGECACHE": a.pagecache})  # fmt: skip
    env["BENCH_URI"] = f"bolt://127.0.0.1:{bolt}"
    tg = [sys.executable, "-m", "transfergraph"]
    subprocess.run([*tg, "db", "start"], env=env, cwd=ROOT, check=True, capture_output=True)
    try:
        env["BENCH_PASSWORD"] = (server_dir / "password").read_text().strip()
        whole([*tg, "ingest", "runs", str(zoo / "runs.csv"), "--modality", "image", "--model-col", "model",
               "--dataset-col", "dataset", "--accuracy-col", "accuracy", "--run-id-col", "run_id",
               "--hf-models-file", str(zoo / "hf-models.jsonl"), "--bulk"], env)  # fmt: skip
        whole([*tg, "graph", "build"], env)
        whole([*tg, "predict", "--method", "model-prior"], env)
        dataset = a.dataset or str(run_statement(POPULAR, env)[0]["id"])
        measure(dataset, env, a.repeat, a.filler, a.filler_datasets, a.compare)
    finally:
        subprocess.run([*tg, "db", "stop"], env=env, cwd=ROOT, capture_output=True)
        shutil.rmtree(server_dir, ignore_errors=True)
        if a.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
