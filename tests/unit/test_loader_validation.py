# ruff: noqa: E501  (the case table reads best one case per line)
"""Every class of input Neo4j would refuse, or that the readers misread, gives the right Problem
(file, true line, column, message) before anything could be written. Pure: no server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from transfergraph.errors import InvalidInput
from transfergraph.loaders import hf_models, runs, storable
from transfergraph.loaders.records import Records
from transfergraph.loaders.tabular import read_rows

MAPPING = runs.Mapping("model", "dataset", "acc", hparams=("lr",))
LONG = "m" * (storable.MAX_KEY_BYTES + 1)


def jsonl(*objs: Any) -> bytes:
    return "".join(json.dumps(o) + "\n" for o in objs).encode()


def run_row(**over: Any) -> dict[str, Any]:
    return {"model": "org/m", "dataset": "d", "acc": 0.5, "lr": 0.1, **over}


# (case, file name, content, loader, expected str(problem) after the path)
CASES: list[tuple[str, str, bytes, str, str]] = [
    ("id over the key limit", "a.jsonl", jsonl(run_row(), run_row(model=LONG)), "runs",
     ":2: column 'model': model id is 8001 bytes of UTF-8; Neo4j indexes at most 8164"),
    ("multibyte id over the limit", "b.csv", ("model,dataset,acc\n" + "模" * 2700 + ",d,0.5\n").encode(), "runs",
     ":2: column 'model': model id is 8100 bytes of UTF-8"),
    ("list id", "c.jsonl", jsonl(run_row(model=["a", "b"])), "runs",
     ":1: column 'model': expected a string model id, got a list"),
    ("object id", "d.jsonl", jsonl(run_row(), run_row(dataset={"x": 1})), "runs",
     ":2: column 'dataset': expected a string dataset id, got a map"),
    ("float id", "e.jsonl", jsonl(run_row(model=1.5)), "runs", ":1: column 'model': expected a string model id"),
    ("lone surrogate id", "f.jsonl", b'{"model": "a\\ud800b", "dataset": "d", "acc": 0.5}\n', "runs",
     ":1: column 'model': model id is not valid Unicode: lone surrogate U+D800"),
    ("map hparam", "g.jsonl", jsonl(run_row(), run_row(lr={"base": 0.1})), "runs",
     ":2: column 'lr': a map cannot be stored as a Neo4j property"),
    ("mixed list hparam", "h.jsonl", jsonl(run_row(lr=[1, "a"])), "runs",
     ":1: column 'lr': a list mixing types (int, str) cannot be stored"),
    ("int and float list hparam", "i.jsonl", jsonl(run_row(lr=[1, 2.5])), "runs",
     ":1: column 'lr': a list mixing types (float, int)"),
    ("nested list hparam", "j.jsonl", jsonl(run_row(lr=[[1], [2]])), "runs",
     ":1: column 'lr': a list of lists cannot be stored"),
    ("list with null hparam", "k.jsonl", jsonl(run_row(lr=[1, None])), "runs",
     ":1: column 'lr': a list holding null"),
    ("infinite hparam", "l.csv", b"model,dataset,acc,lr\nm,d,0.5,1e999\n", "runs",
     ":2: column 'lr': non-finite number inf"),
    ("hparam named like a run property", "m.csv", b"model,dataset,acc,lr\nm,d,0.5,1\n", "runs-clash",
     ":1: column 'accuracy': a hyper-parameter column would overwrite the run's 'accuracy' property"),
    ("huge int count", "n.jsonl", jsonl({"id": "x", "downloads": 2**64}), "hf",
     ":1: column 'downloads': integer 18446744073709551616 is outside the 64-bit range"),
    ("overflowing num_parameters", "o.jsonl", b'{"id": "x", "num_parameters": 1e999}\n', "hf",
     ":1: column 'num_parameters': expected a whole number, got inf"),
    ("map pipeline tag", "p.jsonl", jsonl({"id": "x", "pipeline_tag": {"a": 1}}), "hf",
     ":1: column 'pipeline_tag': expected text, got dict"),
    ("tags not a list", "q.jsonl", jsonl({"id": "x", "tags": 7}), "hf", ":1: column 'tags': expected a list, got int"),
    ("list model id", "r.jsonl", jsonl({"id": ["x"]}), "hf", ":1: column 'id': expected a string model id, got a list"),
    ("directory", "dir.csv", b"", "dir", ": is a directory, not a file"),
    ("UTF-16 with BOM", "s.csv", "model,dataset,acc\nm,d,0.5\n".encode("utf-16"), "runs",
     ": is UTF-16 (little-endian) text (byte-order mark): save it as UTF-8"),
    ("UTF-16 without BOM", "t.csv", "model,dataset,acc\n".encode("utf-16-le"), "runs",
     ":1: NUL byte at offset 1: binary data or UTF-16 without a byte-order mark"),
    ("undecodable header names no column", "u.csv", b"mo\xffdel,dataset,acc\nm,d,0.5\n", "runs",
     ":1: not UTF-8: byte 0xff at offset 2"),
    ("binary", "v.jsonl", bytes(range(128, 256)) * 4, "runs", ":1: not UTF-8: byte 0x80 at offset 0"),
    ("cut quoted field", "w.csv", b'model,dataset,acc\nm,d,0.5\nm2,"cut here\nand on,0.5\n', "runs",
     ":3: column 'dataset': quoted field is not closed: the file ends inside it"),
    ("true line after a multi-line field", "x.csv", b'model,dataset,acc\n"a\nb",d,0.5\nm,d,high\n', "runs",
     ":4: column 'acc': expected a number, got 'high'"),
    ("JSON number too long", "y.jsonl", b'{"model": "m", "dataset": "d", "acc": ' + b"9" * 5000 + b"}\n", "runs",
     ":1: not JSON we can read: Exceeds the limit (4300 digits)"),
    ("JSON nested too deep", "z.jsonl", b'{"a": ' + b"[" * 50000 + b"]" * 50000 + b"}\n", "runs",
     ":1: not JSON we can read: nested too deeply"),
    ("true line after U+2028 in a string", "za.jsonl",
     '{"model": "a\u2028b\u0085c", "dataset": "d", "acc": 0.5}\n{"model": "m", "dataset": "d", "acc": 7}\n'.encode(),
     "runs", ":2: column 'acc': expected an accuracy in 0..1, got 7.0"),
    ("accuracy no float holds (CSV)", "zb.csv", f"model,dataset,acc\nm,d,0.5\nm,d,0.{'9' * 5000}\n".encode(), "runs",
     ":3: column 'acc': '0.999999999999999...99999999999999999' (5004 characters) has more digits than a 64-bit float holds: it would be stored as 1.0; round it to 17 digits"),
    ("accuracy no float holds (JSONL)", "zc.jsonl", b'{"model": "m", "dataset": "d", "acc": 0.' + b"9" * 5000 + b"}\n", "runs",
     ":1: column 'acc': '0.999999999999999...99999999999999999' (5004 characters) has more digits than a 64-bit float holds"),
    ("accuracy of 17 digits not a float's", "zd.csv", b"model,dataset,acc\nm,d,0.99999999999999999\n", "runs",
     ":2: column 'acc': '0.99999999999999999' has more digits than a 64-bit float holds: it would be stored as 1.0"),
]  # fmt: skip


def load(kind: str, path: Path) -> Records:
    if kind == "hf":
        return hf_models.load_file(path)
    if kind == "runs-clash":
        return runs.load(path, runs.Mapping("model", "dataset", "acc", hparams=("accuracy",)), "image")
    if path.is_file() and b"lr" in path.read_bytes():
        return runs.load(path, MAPPING, "image")
    return runs.load(path, runs.Mapping("model", "dataset", "acc"), "image")


@pytest.mark.parametrize(("case", "name", "content", "kind", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_problem_naming_file_line_and_column(
    tmp_path: Path, case: str, name: str, content: bytes, kind: str, expected: str
) -> None:
    path = tmp_path / name
    if kind == "dir":
        path.mkdir()
        kind = "runs"
    else:
        path.write_bytes(content)
    if kind == "runs-clash":
        path.write_bytes(b"model,dataset,acc,accuracy\nm,d,0.5,1\n")
    with pytest.raises(InvalidInput) as err:
        storable.check(load(kind, path))
    lines = [str(p) for p in err.value.problems]
    assert any(line.startswith(f"{path}{expected}") for line in lines), (case, lines)
    assert all("\n" not in line or "\n" in str(path) for line in lines)


def test_accuracies_a_float_holds_exactly_are_kept(tmp_path: Path) -> None:
    """A float's own 17-digit form (exporters write repr), trailing zeros, exponents: not refused."""
    path = tmp_path / "exact.csv"
    written = [
        "0.30000000000000004",
        "0.9138000011444092",
        "0.5000000000000000000000",
        "1.2345678901234568e-05",
        "1",
    ]
    path.write_text("model,dataset,acc\n" + "".join(f"m,d,{a}\n" for a in written))
    rec = runs.load(path, runs.Mapping("model", "dataset", "acc"), "image")
    assert [r["props"]["accuracy"] for r in rec.runs] == [float(a) for a in written]
    path = tmp_path / "exact.jsonl"
    path.write_text("".join(f'{{"model": "m", "dataset": "d", "acc": {a}}}\n' for a in written))
    rec = runs.load(path, runs.Mapping("model", "dataset", "acc"), "image")
    assert [r["props"]["accuracy"] for r in rec.runs] == [float(a) for a in written]


def test_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    ids = ["a\u2028b", "c\u0085d", "e\u2029f", "g\x1ch", "i\x0bj\x0ck"]
    path.write_bytes(jsonl(*({"model": i, "dataset": "d", "acc": 0.5} for i in ids)) + b"\r\n")
    rec = runs.load(path, runs.Mapping("model", "dataset", "acc"), "image")
    assert sorted(rec.models) == sorted(ids)
    assert read_rows(path)[1][-1][0] == 5


def test_parquet_struct_map_and_uint64_are_refused_with_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "runs.parquet"
    table = pa.table(
        {
            "model": ["a", "b", "c"],
            "dataset": ["d", "d", "d"],
            "acc": [0.1, 0.2, 0.3],
            "s": pa.array([{"x": 1}, {"x": 2}, None], pa.struct([("x", pa.int64())])),
            "u": pa.array([1, 2**64 - 1, 3], pa.uint64()),  # an id column: read as decimal text
        }
    )
    pq.write_table(table, path)
    with pytest.raises(InvalidInput) as err:
        runs.load(path, runs.Mapping("model", "dataset", "acc", run_id="u", hparams=("s",)), "image")
    lines = [str(p) for p in err.value.problems]
    assert lines == [
        f"{path}:1: column 's': a map cannot be stored as a Neo4j property (flatten it into columns, or a JSON string)",
        f"{path}:2: column 's': a map cannot be stored as a Neo4j property (flatten it into columns, or a JSON string)",
    ]
    rec = runs.load(path, runs.Mapping("model", "dataset", "acc", run_id="u"), "image")
    assert sorted(r["run_id"] for r in rec.runs) == ["1", "18446744073709551615", "3"]


def test_damaged_parquet_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) + b"PAR1")
    with pytest.raises(InvalidInput) as err:
        read_rows(path)
    assert len(err.value.problems) == 1 and str(err.value).startswith(f"{path}: not a readable Parquet file")


def test_backstop_names_every_unstorable_record_whatever_the_loader() -> None:
    rec = Records(source="custom")
    rec.model(LONG, "image", tags=[1, "x"], ok=[1, 2], n=2**70)
    rec.dataset("d", "image", cfg={"a": 1})
    rec.runs.append({"run_id": ["r"], "model": LONG, "dataset": "d", "props": {"": 1, "x": float("inf")}})
    problems = [str(p) for p in storable.problems_in(rec)]
    expected = [
        "custom (models record 1): column 'id': id is 8001 bytes",
        "custom (models record 1): column 'tags': a list mixing types",
        "custom (models record 1): column 'n': integer",
        "custom (datasets record 1): column 'cfg': a map",
        "custom (runs record 1): column 'run_id': expected a string run_id, got a list",
        "custom (runs record 1): column '': a property name must be non-empty",
        "custom (runs record 1): column 'x': non-finite number inf",
    ]
    for fragment in expected:
        assert any(p.startswith(fragment) for p in problems), (fragment, problems)
    assert not any("'ok'" in p for p in problems)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (True, True), (2**63 - 1, True), (-(2**63), True), (2**63, False), (1.5, True),
        (float("nan"), True), (float("-inf"), False), ("x", True), ([], True), (["a", "b"], True),
        ([True, 1], False), ((1, 2), True), (b"x", False), ({"a": 1}, False), ([{"a": 1}], False),
    ],
)  # fmt: skip
def test_value_problem_matches_neo4j_property_types(value: Any, ok: bool) -> None:
    assert (storable.value_problem(value) is None) is ok


def test_key_limit_keeps_a_margin_below_the_measured_index_limit() -> None:
    problem: Callable[[str], str | None] = storable.key_problem
    assert problem("x" * storable.MAX_KEY_BYTES) is None
    assert problem("é" * (storable.MAX_KEY_BYTES // 2)) is None
    assert problem("é" * (storable.MAX_KEY_BYTES // 2 + 1)) is not None
    assert storable.MAX_KEY_BYTES < storable.INDEX_KEY_LIMIT_BYTES
