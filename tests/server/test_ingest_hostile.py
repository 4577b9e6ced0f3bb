"""Hostile input against the real server: every refused input leaves the graph byte-for-byte as it
was (both write paths), a small round-trip fuzz, and a deadlock retried by the driver prints no warning."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import neo4j
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfergraph import db, ingest
from transfergraph.config import Settings
from transfergraph.errors import InvalidInput
from transfergraph.loaders import runs, storable

from support import cli

pytestmark = pytest.mark.server

COLS = ["--model-col", "model", "--dataset-col", "dataset", "--accuracy-col", "acc"]
LONG = "x" * (storable.MAX_KEY_BYTES + 1)


def dump(drv: neo4j.Driver) -> str:
    """The whole graph as canonical JSON text (labels, every property, relationships with ends)."""
    nodes, _, _ = drv.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    rels, _, _ = drv.execute_query(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS p, b.id AS b"
    )
    items = [json.dumps(r.data(), sort_keys=True, default=repr) for r in [*nodes, *rels]]
    return "\n".join(sorted(items))


@pytest.fixture
def seeded(wiped: neo4j.Driver, tmp_path: Path) -> neo4j.Driver:
    driver = wiped
    seed = tmp_path / "seed.jsonl"
    seed.write_text(json.dumps({"model": "org/seed", "dataset": "dtd", "acc": 0.7, "lr": 0.1}) + "\n")
    proc = cli("ingest", "runs", str(seed), "--modality", "image", *COLS, "--hparam-col", "lr")
    assert proc.returncode == 0, proc.stderr
    return driver


def jsonl(path: Path, *rows: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def good(i: int, **over: Any) -> dict[str, Any]:
    return {"model": f"org/ok-{i}", "dataset": "cifar100", "acc": 0.5, "lr": 0.01, **over}


def refused_cases(tmp: Path) -> list[tuple[str, Path, list[str], str]]:
    """(case, file, extra args, fragment of the error line). Valid rows come first: a writer that
    started before validating would have committed them."""
    many = [good(i) for i in range(30)]
    (tmp / "dir.jsonl").mkdir()
    (tmp / "utf16.csv").write_bytes("model,dataset,acc\nm,d,0.5\n".encode("utf-16"))
    (tmp / "binary.jsonl").write_bytes(bytes(range(256)) * 8)
    return [
        ("id over the index limit", jsonl(tmp / "long.jsonl", *many, good(99, model=LONG)), [],
         ":31: column 'model': model id is 8001 bytes of UTF-8"),
        ("map hparam", jsonl(tmp / "map.jsonl", *many, good(99, lr={"base": 1})), [],
         ":31: column 'lr': a map cannot be stored"),
        ("mixed list hparam", jsonl(tmp / "mixed.jsonl", *many, good(99, lr=[1, "a"])), [],
         ":31: column 'lr': a list mixing types"),
        ("list id", jsonl(tmp / "listid.jsonl", *many, good(99, dataset=["a"])), [],
         ":31: column 'dataset': expected a string dataset id, got a list"),
        ("infinite hparam", tmp / "inf.jsonl", [], ":31: column 'lr': non-finite number inf"),
        ("directory", tmp / "dir.jsonl", [], "dir.jsonl: is a directory"),
        ("UTF-16", tmp / "utf16.csv", [], "utf16.csv: is UTF-16 (little-endian) text"),
        ("binary", tmp / "binary.jsonl", [], "binary.jsonl:1: NUL byte at offset 0"),
    ]  # fmt: skip


def test_every_refused_input_leaves_the_graph_byte_for_byte_unchanged(
    seeded: neo4j.Driver, tmp_path: Path
) -> None:
    (tmp_path / "inf.jsonl").write_text(
        "".join(json.dumps(good(i)) + "\n" for i in range(30))
        + '{"model": "m", "dataset": "d", "acc": 0.5, "lr": 1e999}\n'
    )
    before = dump(seeded)
    for case, path, extra, fragment in refused_cases(tmp_path):
        # one transaction per row for the cases that used to commit orphan nodes before failing
        small = ["--batch-size", "1"] if case in ("id over the index limit", "map hparam") else []
        args = [
            "ingest",
            "runs",
            str(path),
            "--modality",
            "image",
            *COLS,
            "--hparam-col",
            "lr",
            *extra,
            *small,
        ]
        proc = cli(*args)
        assert proc.returncode == 2, (case, proc.stderr)
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert any(fragment in ln for ln in lines), (case, fragment, lines)
        assert lines[-1] == "error: 1 problem(s); nothing was written", (case, lines)
        assert dump(seeded) == before, case


def test_bulk_refuses_an_overlong_id_before_importing(wiped: neo4j.Driver, tmp_path: Path) -> None:
    """The --bulk path used to import it, then fail to create the uniqueness constraints."""
    driver = wiped
    path = jsonl(tmp_path / "long.jsonl", good(1), good(2, dataset="é" * 4001))
    proc = cli("ingest", "runs", str(path), "--modality", "image", *COLS, "--bulk")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}:2: column 'dataset': dataset id is 8002 bytes of UTF-8" in proc.stderr
    assert dump(driver) == ""


NO_SURROGATES = st.characters(exclude_categories=["Cs"])
hostile_ids = st.one_of(
    st.text(NO_SURROGATES, min_size=1, max_size=20),
    st.builds(lambda c, n: c * n, st.sampled_from("é模\u2028\x00"), st.integers(1, 2000)),
).filter(lambda s: bool(s.strip()))
values = st.one_of(
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(NO_SURROGATES, max_size=10),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=3),
    st.lists(st.text(max_size=3), max_size=3),
)


@pytest.mark.usefixtures("wiped")  # and each example wipes again
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "8")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(table=st.lists(st.tuples(hostile_ids, hostile_ids, values), min_size=1, max_size=5))
def test_storable_rows_round_trip_exactly(driver: neo4j.Driver, table: list[tuple[str, str, Any]]) -> None:
    """Whatever the loader accepts is written and read back exactly (ids, values, list types)."""
    driver.execute_query("MATCH (n) DETACH DELETE n")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = jsonl(
            Path(tmp) / "r.jsonl", *({"model": m, "dataset": d, "acc": 0.5, "hp": v} for m, d, v in table)
        )
        try:
            rec = runs.load(path, runs.Mapping("model", "dataset", "acc", hparams=("hp",)), "image")
        except InvalidInput:
            assert dump(driver) == ""
            return
    ingest.write(driver, rec, batch_size=2)
    found, _, _ = driver.execute_query(
        "MATCH (m:Model)-[r:FINETUNED_ON]->(d:Dataset) RETURN m.id AS m, d.id AS d, r.hp AS hp"
    )
    got = sorted((r["m"], r["d"], json.dumps(r["hp"])) for r in found)
    expected = sorted(
        (m, d, json.dumps(float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v))
        for m, d, v in table
    )
    assert got == expected


def _deadlock(settings: Settings) -> list[logging.LogRecord]:
    """Two transactions lock (:A) and (:B) in opposite orders: Neo4j kills one with DeadlockDetected,
    the driver retries it and both commit. Returns the WARNING records the driver logged."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                records.append(record)

    handler = Keep()
    logger = logging.getLogger("neo4j")
    logger.addHandler(handler)
    both = threading.Barrier(2, timeout=20)
    first_attempt = {"ab": True, "ba": True}

    def work(tx: neo4j.ManagedTransaction, order: str) -> None:
        one, two = ("A", "B") if order == "ab" else ("B", "A")
        tx.run("MATCH (n:DeadlockProbe {id: $id}) SET n.v = coalesce(n.v, 0) + 1", id=one).consume()
        if first_attempt[order]:
            first_attempt[order] = False
            both.wait()  # each holds its first lock: the second locks cross
        tx.run("MATCH (n:DeadlockProbe {id: $id}) SET n.v = coalesce(n.v, 0) + 1", id=two).consume()

    try:
        with db.driver(settings) as drv:
            drv.execute_query("MERGE (:DeadlockProbe {id: 'A'}) MERGE (:DeadlockProbe {id: 'B'})")

            def run(order: str) -> None:
                with drv.session() as session:
                    session.execute_write(work, order)

            threads = [threading.Thread(target=run, args=(o,)) for o in ("ab", "ba")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            found, _, _ = drv.execute_query("MATCH (n:DeadlockProbe) RETURN sum(n.v) AS v")
            drv.execute_query("MATCH (n:DeadlockProbe) DELETE n")
        assert found[0]["v"] == 4  # both transactions committed, one of them after a retry
    finally:
        logger.removeHandler(handler)
    return records


def test_deadlock_retries_print_no_warning_but_would_without_the_filter(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _deadlock(settings) == []
    # the same deadlock with our filter letting everything through: the driver's warning shows
    monkeypatch.setattr(db._QUIET, "filter", lambda record: True)
    warned = _deadlock(settings)
    assert any("will be retried" in r.getMessage() and "DeadlockDetected" in r.getMessage() for r in warned)
