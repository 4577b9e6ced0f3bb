"""Property-based fuzzing of every file loader (pure, no server): random bytes and random structured
rows either load into records Neo4j can store, with the ids exactly as written, or raise
InvalidInput. Never another exception. The same for the paper-zoo folder (random bytes, or a real
file in another encoding, in each of its files) and for `tg model add` folders (config.json and a
safetensors header holding the JSON Python's parser mishandles: a reader that skips the guarded
one fails here). The CI budget is small; benchmarks/fuzz_loaders.py runs
the same properties with a large one (FUZZ_EXAMPLES)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfergraph.errors import InvalidInput, TGError
from transfergraph.loaders import hf_models, paper_zoo, runs, storable
from transfergraph.loaders.records import Records
from transfergraph.userdata import models

from support import ZOO

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


ZOO_FILES = [(m, f) for m in paper_zoo.FOLDERS for f in paper_zoo.files(m)]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]
BOM_NAMES = {"utf-16": "UTF-16 (little-endian)", "utf-32": "UTF-32 (little-endian)"}


def zoo_copy(tmp: str, modality: str, name: str) -> Path:
    """A folder of the zoo's `modality` half, every file a link to the real one but `name`."""
    folder = Path(tmp) / paper_zoo.FOLDERS[modality]
    folder.mkdir()
    for f in paper_zoo.files(modality):
        if f != name:
            (folder / f).symlink_to(ZOO / paper_zoo.FOLDERS[modality] / f)
    return folder / name


def load_zoo(tmp: str, modality: str) -> None:
    """Only InvalidInput may escape, and each of its problems names a file of the folder."""
    try:
        storable.check(paper_zoo.load(Path(tmp), (modality,)))
    except InvalidInput as e:
        assert e.problems and all(str(p).startswith(tmp) for p in e.problems), e.problems[:3]
        raise


@settings(max_examples=max(5, EXAMPLES // 6), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(max_size=400), where=st.sampled_from(ZOO_FILES))
def test_paper_zoo_with_a_random_file_loads_or_raises_invalid_input(
    data: bytes, where: tuple[str, str]
) -> None:
    if not (ZOO / "image_classification").is_dir():
        return
    modality, name = where
    with tempfile.TemporaryDirectory() as tmp:
        zoo_copy(tmp, modality, name).write_bytes(data)
        with contextlib.suppress(InvalidInput):
            load_zoo(tmp, modality)


@settings(max_examples=max(6, EXAMPLES // 5), deadline=None, suppress_health_check=list(HealthCheck))
@given(where=st.sampled_from(ZOO_FILES), encoding=st.sampled_from(ENCODINGS), at=st.integers(0, 10**6))
def test_a_zoo_file_in_another_encoding_is_one_line_naming_it(
    where: tuple[str, str], encoding: str, at: int
) -> None:
    """A real file re-encoded (a UTF-16 similarity matrix was a UnicodeDecodeError traceback): one
    problem, naming the file, and the encoding when a byte-order mark tells it."""
    if not (ZOO / "image_classification").is_dir():
        return
    modality, name = where
    text = (ZOO / paper_zoo.FOLDERS[modality] / name).read_text(encoding="utf-8")
    if encoding in ("latin-1", "cp1252"):  # one non-ASCII character somewhere, else it is UTF-8 too
        at = at % len(text)
        text = text[:at] + "é" + text[at:]
    with tempfile.TemporaryDirectory() as tmp:
        path = zoo_copy(tmp, modality, name)
        path.write_bytes(text.encode(encoding, errors="replace"))
        with pytest.raises(InvalidInput) as e:
            load_zoo(tmp, modality)
    assert len(e.value.problems) == 1 and str(e.value.problems[0]).startswith(str(path))
    message = e.value.problems[0].message
    expected = {"latin-1": "not UTF-8", "cp1252": "not UTF-8"}.get(
        encoding, BOM_NAMES.get(encoding, "UTF-16")
    )
    assert expected in message and "\n" not in message, message


# Numbers and nestings Python's json mishandles: a reader that skips the guard raises on them.
HOSTILE_JSON = ["7" * 5000, "[" * 100_000 + "]" * 100_000, "NaN", "-Infinity", "1e400", "-1e999",
                '{"a": ' * 600 + "1" + "}" * 600, "0." + "9" * 5000, "-0", "1" * 4000]  # fmt: skip
json_values = st.recursive(
    st.one_of(scalars, st.sampled_from([f"@{i}@" for i in range(len(HOSTILE_JSON))])),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(short_text, inner, max_size=3),
    max_leaves=8,
)
CONFIG_KEYS = ["model_type", "architectures", "num_labels", "hidden_size", "id2label", "eps", "x"]


def hostile_json(value: Any) -> bytes:
    """`value` as JSON text, each `"@i@"` string replaced by the raw hostile text i."""
    text = json.dumps(value, allow_nan=True)
    for i, raw in enumerate(HOSTILE_JSON):
        text = text.replace(f'"@{i}@"', raw)
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(
    config=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(st.sampled_from(CONFIG_KEYS), json_values, max_size=4).map(
            lambda d: hostile_json({"model_type": "vit", **d})
        ),
    ),
    header=st.one_of(
        st.none(),
        st.binary(max_size=60),
        st.dictionaries(short_text, st.fixed_dictionaries({"shape": json_values}), max_size=3).map(
            hostile_json
        ),
    ),
    claimed=st.one_of(st.none(), st.integers(0, 2**64 - 1)),
)
def test_model_folders_prepare_or_are_one_line(
    config: bytes, header: bytes | None, claimed: int | None
) -> None:
    """`tg model add --from FOLDER` reads config.json and the safetensors header through the guarded
    reader: a record, or TGError in one line naming config.json; an unreadable header is a note."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.json").write_bytes(config)
        if header is not None:
            length = len(header) if claimed is None else claimed
            (folder / "model.safetensors").write_bytes(struct.pack("<Q", length) + header)
        try:
            new = models.prepare("me/model", source=folder, modality="image")
        except TGError as e:
            assert str(e).startswith(str(folder / "config.json")) and "\n" not in str(e), str(e)
            return
        storable.check(new.records)
        params = new.records.models["me/model"]["props"].get("num_parameters")
        assert params is None or 0 <= params <= storable.INT64_MAX
        for note in new.notes:
            assert note.startswith(f"{folder / 'model.safetensors'}: parameter count") and "\n" not in note
        assert (params is None) == (header is not None and len(new.notes) == 1) or header is None
