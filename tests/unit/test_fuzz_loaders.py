"""Property-based fuzzing of every file loader (pure, no server): random bytes and random structured
rows either load into records Neo4j can store, with the ids exactly as written, or raise
InvalidInput. Never another exception. The CI budget is small; benchmarks/fuzz_loaders.py runs
the same properties with a large one (FUZZ_EXAMPLES)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfergraph.loaders import hf_models, paper_zoo, runs, storable
from transfergraph.loaders.records import InvalidInput, Records

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
MAPPING = runs.Mapping("model", "dataset", "acc", run_id=None, peft="peft", timestamp=None, hparams=("hp",))
SUFFIXES = [".csv", ".jsonl", ".parquet"]

# The whole of Unicode, surrogates, controls and separators included; and strings around the key limit.
any_char = st.characters(exclude_categories=())
short_text = st.text(any_char, max_size=12)
long_text = st.builds(lambda c, n: c * n, st.sampled_from("xé模😀\u2028"), st.integers(1990, 8300))
ids = st.one_of(short_text, short_text, long_text)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**70), 2**70), st.floats(), short_text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short_text, inner, max_size=2),
    max_leaves=4,
)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "model": st.one_of(ids, values),
            "dataset": ids,
            "acc": st.one_of(st.floats(0, 1), values),
            "peft": values,
            "hp": values,
        }
    ),
    min_size=1,
    max_size=4,
)


def load_any(path: Path, kind: str) -> Records:
    """Load with the loader and run the write paths' check: only InvalidInput may escape."""
    rec = hf_models.load_file(path) if kind == "hf" else runs.load(path, MAPPING, "image")
    return storable.check(rec)


def write(path: Path, table: list[dict[str, Any]]) -> bool:
    """Write rows in the file's format; False when the format cannot hold them (then skip)."""
    if path.suffix == ".jsonl":
        path.write_text(
            "".join(json.dumps(r) + "\n" for r in table), encoding="utf-8", errors="surrogatepass"
        )
    elif path.suffix == ".csv":
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(list(table[0]))
        w.writerows([[json.dumps(v) if not isinstance(v, str) else v for v in r.values()] for r in table])
        path.write_bytes(out.getvalue().encode("utf-8", "surrogatepass"))
    else:
        try:
            pq.write_table(pa.Table.from_pylist(table), path)
        except (pa.ArrowException, OverflowError, UnicodeError, ValueError, TypeError):
            return False
    return True


@FUZZ
@given(
    data=st.binary(max_size=600),
    suffix=st.sampled_from([*SUFFIXES, ".json"]),
    kind=st.sampled_from(["runs", "hf"]),
)
def test_random_bytes_load_or_raise_invalid_input(data: bytes, suffix: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        path.write_bytes(data)
        try:
            load_any(path, kind)
        except InvalidInput as e:
            assert e.problems and all(str(p).startswith(str(path)) for p in e.problems)


@FUZZ
@given(table=rows, suffix=st.sampled_from(SUFFIXES))
def test_random_rows_load_exactly_or_raise_invalid_input(table: list[dict[str, Any]], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"runs{suffix}"
        if not write(path, table):
            return
        try:
            rec = load_any(path, "runs")
        except InvalidInput as e:
            assert e.problems and all(str(p).startswith(str(path)) for p in e.problems)
            return
        written = [str(m) if isinstance(m, int) else m for m in (r["model"] for r in table)]
        if suffix != ".csv":  # CSV holds text only: a JSON-looking cell is read back as its text
            assert all(m in written for m in rec.models), (list(rec.models), written)
        assert len(rec.runs) == len(table)
        for run in rec.runs:
            assert len(run["model"].encode("utf-8")) <= storable.MAX_KEY_BYTES


HUB_KEYS = ["id", "modelId", "pipeline_tag", "downloads", "likes", "tags", "config", "card_data",
            "safetensors", "num_parameters", "library_name"]  # fmt: skip


@FUZZ
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from(HUB_KEYS), st.one_of(ids, values), max_size=6), min_size=1, max_size=3
    )
)
def test_random_hub_records_load_or_raise_invalid_input(records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "models.jsonl"
        path.write_text(
            "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8", errors="surrogatepass"
        )
        try:
            rec = load_any(path, "hf")
        except InvalidInput:
            return
        written = [r.get("id") if r.get("id") is not None else r.get("modelId") for r in records]
        assert all(m in written for m in rec.models), (list(rec.models), written)


@settings(max_examples=max(5, EXAMPLES // 6), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=400), name=st.sampled_from(paper_zoo.TABLE_FILES))
def test_paper_zoo_with_a_random_file_loads_or_raises_invalid_input(data: bytes, name: str) -> None:
    zoo = Path(
        os.environ.get("TG_ZOO_PATH") or Path(__file__).resolve().parents[3] / "shared/data/transfergraph-zoo"
    )
    if not (zoo / "image_classification").is_dir():
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "image_classification"
        folder.mkdir()
        for f in paper_zoo.files("image"):
            (folder / f).symlink_to(zoo / "image_classification" / f)
        (folder / name).unlink()
        (folder / name).write_bytes(data)
        with contextlib.suppress(InvalidInput):
            storable.check(paper_zoo.load(Path(tmp), ("image",)))
