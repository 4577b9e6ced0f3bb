"""The columnar `--bulk` path for large run files (transfergraph/ingest/bulk/columnar.py), without a
server: it writes the same import files' content (nodes, relationships, typed properties) and the
same summary as the Records path (`runs.load`, `bulk.plan`, `bulk.write_csv`), and hands anything
unusual over to the Records path (None) instead of judging it. The import of both into a server is
compared in tests/server/test_bulk.py."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transfergraph.ingest import bulk
from transfergraph.ingest.bulk import columnar
from transfergraph.loaders import runs

from support import read_import_files as _read
from support import synth_runs

MAPPING = runs.Mapping("model", "dataset", "accuracy", "run_id", hparams=("lr", "epochs"))
HEADER = "model,dataset,accuracy,run_id,lr,epochs\n"


def _split(path: Path) -> list[Path]:
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    out = []
    for i, part in enumerate((rows[: len(rows) // 2], rows[len(rows) // 3 :])):  # overlapping models
        p = path.with_name(f"part{i}.csv")
        with open(p, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *[[*r[:3], f"{r[3]}#{i}", *r[4:]] for r in part]])
        out.append(p)
    return out


def _records_path(files: list[Path], tmp: Path) -> tuple[Any, bulk.Layout]:
    parts = [runs.load(f, MAPPING, "image") for f in files]
    p = bulk.plan(parts)
    return p, bulk.write_csv(p, tmp / "records")


def test_columnar_writes_what_the_records_path_writes(tmp_path: Path) -> None:
    files = _split(synth_runs(tmp_path, models=120, runs=1200, datasets=12, seed=5))
    prepared = columnar.runs(files, MAPPING, "image", tmp_path / "columnar")
    assert prepared is not None, "the columnar path handed a clean file over"
    p, layout = _records_path(files, tmp_path)
    assert _read(prepared.layout) == _read(layout)
    assert prepared.expected == p.counts()
    parts = [runs.load(f, MAPPING, "image") for f in files]
    assert prepared.counts == {e: sum(part.counts()[e] for part in parts) for e in p.counts()}
    assert prepared.source == bulk.merge(parts).source
    for entity, tally in p.summary.items():
        got = prepared.summary[entity]
        assert (got.created, got.updated, got.unchanged, got.skipped) == (
            tally.created, tally.updated, tally.unchanged, tally.skipped,
        ), entity  # fmt: skip
    assert set(prepared.layout.multiline) and bool(layout.multiline)  # "multi\nline" ids


@pytest.mark.parametrize(
    "rows",
    [
        "m,d,0.5,r1,0.1,3\nm,d,0.5,r1,0.1,3\n",  # duplicate run id
        "m,d,1.5,r1,0.1,3\n",  # accuracy outside 0..1
        "m,d,,r1,0.1,3\n",  # no accuracy
        "m,d,nan,r1,0.1,3\n",
        "m,d, 0.5,r1,0.1,3\n",  # padded number: valid for runs.py, not for pyarrow's cast
        "m,d,0.5,r1,auto,3\n",  # a string hyper-parameter (valid: the Records path keeps it)
        "m,d,0.5,r1,inf,3\n",
        'm,"  ",0.5,r1,0.1,3\n',  # blank id
        "m,d,0.5,\u2028,0.1,3\n",  # blank for str.strip()
        f"{'m' * 8001},d,0.5,r1,0.1,3\n",  # too long to index
        "m,d\x00,0.5,r1,0.1,3\n",  # NUL
        'm,d"x,0.5,r1,0.1,3\n',  # a stray quote
        "m,d,0.5,r1,0.1\n",  # a field missing
        "",  # no rows
        f"m,d,0.{'9' * 5000},r1,0.1,3\n",  # no float holds it: runs.py refuses it (pyarrow reads 1.0)
        "m,d,0.99999999999999999,r1,0.1,3\n",  # 17 digits that are not a float's own
    ],
)
def test_unusual_input_goes_the_records_way(tmp_path: Path, rows: str) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    assert columnar.runs([path], MAPPING, "image", tmp_path / "out") is None
    assert columnar.records([path], MAPPING, "image") is None


def test_columnar_records_are_what_runs_load_reads(tmp_path: Path) -> None:
    """The transactional path's Records, read column-wise: equal to runs.load's, file by file
    (hostile and multi-line ids, empty hyper-parameter cells, models shared across files)."""
    files = _split(synth_runs(tmp_path, models=120, runs=1200, datasets=12, seed=5))
    blanks = tmp_path / "blanks.csv"
    blanks.write_text(
        HEADER
        + "m1,d,0.5,r1,,3\nm2,d,0.25,r2,0.1,\nm1,e,1,r3,,\n"
        # floats' own 17-digit forms (exact), one in another spelling than pyarrow's
        + "m1,f,0.30000000000000004,r4,,\nm2,f,1.2345678901234568e-05,r5,,\nm3,f,0.100000000000000000,r6,,\n",
        encoding="utf-8",
    )
    files.append(blanks)
    got = columnar.records(files, MAPPING, "text")
    assert got is not None, "the columnar path handed a clean file over"
    for path, rec in zip(files, got, strict=True):
        want = runs.load(path, MAPPING, "text")
        assert rec.source == want.source
        assert list(rec.models.items()) == list(want.models.items())
        assert list(rec.datasets.items()) == list(want.datasets.items())
        assert rec.runs == want.runs
        assert (rec.skipped, rec.notes, rec.counts()) == (want.skipped, want.notes, want.counts())


def test_unusual_files_and_mappings_go_the_records_way(tmp_path: Path) -> None:
    good = HEADER + "m,d,0.5,r1,0.1,3\n"
    cases = {
        "latin1.csv": (HEADER + "m\xe9,d,0.5,r1,0.1,3\n").encode("latin-1"),
        "padded.csv": (b" model,dataset,accuracy,run_id,lr,epochs\nm,d,0.5,r1,0.1,3\n"),
        "twice.csv": (b"model,model,dataset,accuracy,run_id,lr,epochs\nm,m,d,0.5,r1,0.1,3\n"),
        "utf16.csv": good.encode("utf-16"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert columnar.runs([tmp_path / name], MAPPING, "image", tmp_path / "out") is None, name
    (tmp_path / "good.csv").write_text(good, encoding="utf-8")
    assert columnar.runs([tmp_path / "good.csv"], MAPPING, "image", tmp_path / "out") is not None
    for mapping in (
        runs.Mapping("model", "dataset", "accuracy", "run_id", hparams=("source",)),  # a run property
        runs.Mapping("model", "dataset", "accuracy", "run_id", hparams=("missing",)),
    ):
        assert columnar.runs([tmp_path / "good.csv"], mapping, "image", tmp_path / "out") is None
    no_run_id = runs.Mapping("model", "dataset", "accuracy")
    assert not columnar.wanted([tmp_path / "good.csv"], no_run_id)
    assert not columnar.wanted([tmp_path / "good.csv"], MAPPING)  # small: row by row


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.none() | st.text(st.characters(codec="utf-8"), max_size=6), max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=4),
    large=st.booleans(),
)
def test_multiline_is_any_line_break_in_any_value(
    values: list[str | None], cuts: list[int], large: bool
) -> None:
    """`_multiline` reads the value bytes directly: slices (their offsets), chunks, nulls and both
    string widths give what a per-value search gives."""
    import pyarrow as pa

    def broken(part: list[str | None]) -> bool:
        return any(v is not None and ("\n" in v or "\r" in v) for v in part)

    array = pa.array(values, pa.large_string() if large else pa.string())
    bounds = sorted({0, len(values), *(min(c, len(values)) for c in cuts)})
    slices = [(array.slice(a, b - a), values[a:b]) for a, b in itertools.pairwise(bounds)]
    assert columnar._multiline(pa.chunked_array([s for s, _ in slices], array.type)) == broken(values)
    for piece, part in slices:
        assert columnar._multiline(piece) == broken(part)
