"""`tg ingest runs FILE.csv... --bulk` for large files: read, check and write the import files column by
column with pyarrow, in streamed batches, instead of one Python dict per run.

Why: at 1M runs the Records path spends most of `--bulk`'s own time in row-by-row Python (the CSV
reader, per-cell checks, the plan, the CSV writer) and holds every run as dicts (~1.4 GB per million
runs). Here memory is bounded by a batch plus the id columns needed for the duplicate and node
checks.

This path proves a file clean, it never explains why one is not: the rules stay in `loaders/runs.py`
and `loaders/storable.py`. Every check below is a vectorised test that, when it finds anything
unusual (a value that does not parse the same, an id that is blank or too long, a NUL byte, an odd
number of quotes, a duplicate run id, a column name the importer cannot take ...), makes `runs`
return None: the caller then takes the Records path, which gives the usual `file:row: column 'c':
message` lines, or loads the unusual but valid file. So both paths give the same graph for a file
this path accepts (tests/unit/test_bulk_columnar.py compares them), and hostile input always goes
the Records way.

Handled here: CSV files, run ids mapped (`--run-id-col`), no `--peft-col` / `--timestamp-col`, every
hyper-parameter column numeric. Anything else takes the Records path.

`columnar_hf.py` is the same path for `tg ingest hf-models --file MODELS.jsonl --bulk`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from transfergraph import schema
from transfergraph.ingest.bulk.csv_files import Layout
from transfergraph.ingest.writer import Tally
from transfergraph.loaders import runs as runs_loader
from transfergraph.loaders.records import Records
from transfergraph.loaders.storable import MAX_KEY_BYTES, float_problem, name_problem

# This path takes files of at least MIN_BYTES together (smaller ones are fast enough row by row);
# the tests set it to 0 or sys.maxsize to force or forbid it.
MIN_BYTES = 16 * 2**20
BLOCK_BYTES = 16 * 2**20
# Python's str.isspace() characters: an id made only of them is "empty" to runs.py (str.strip()).
_SPACES = "".join(f"\\x{{{c:x}}}" for c in range(0x110000) if chr(c).isspace())
_BLANK = f"^[{_SPACES}]*$"


class _Unusual(Exception):
    """Something this path does not prove clean: the Records path decides."""


@dataclass
class Prepared:
    """Import files written and what `tg ingest` reports: graph counts, the summary, input rows."""

    layout: Layout
    source: str
    expected: dict[str, int]
    counts: dict[str, int]
    summary: dict[str, Tally] = field(default_factory=dict)


def wanted(files: list[Path], mapping: runs_loader.Mapping) -> bool:
    """Whether to try this path (then `runs` may still hand over to the Records path)."""
    if mapping.run_id is None or mapping.peft or mapping.timestamp:
        return False
    return large_enough(files, (".csv",))


def large_enough(files: list[Path], suffixes: tuple[str, ...]) -> bool:
    """Whether `files` are regular files of these types holding MIN_BYTES together."""
    if not files or any(f.suffix.lower() not in suffixes or not f.is_file() for f in files):
        return False
    return sum(f.stat().st_size for f in files) >= MIN_BYTES


def runs(files: list[Path], mapping: runs_loader.Mapping, modality: str, directory: Path) -> Prepared | None:
    """Write the import files of `files` (as `tg ingest runs` would load them) into `directory`; None
    when anything is unusual (the caller then loads them through `runs.load` and `bulk.load`)."""
    import pyarrow as pa

    try:
        return _runs(files, mapping, modality, directory)
    except (_Unusual, pa.ArrowException):  # a file pyarrow reads differently: the Records path's job
        return None


def _raw_checks(path: Path) -> None:
    """What pyarrow would read differently from `loaders/tabular.py`: NUL bytes (refused there), an
    odd number of quotes (a stray or unclosed quote)."""
    quotes = 0
    with open(path, "rb") as f:
        while chunk := f.read(BLOCK_BYTES):
            if b"\x00" in chunk:
                raise _Unusual
            quotes += chunk.count(b'"')
    if quotes % 2:
        raise _Unusual


def _batches(path: Path, columns: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    parse = pcsv.ParseOptions(newlines_in_values=True)
    read = pcsv.ReadOptions(block_size=BLOCK_BYTES)
    try:
        header = pcsv.open_csv(path, read_options=read, parse_options=parse).schema.names
    except (pa.ArrowInvalid, OSError):
        raise _Unusual from None
    if len(set(header)) != len(header) or any(not h or h != h.strip() for h in header):
        raise _Unusual  # duplicate, unnamed or padded column names: tabular.py's messages
    if any(c not in header for c in columns):
        raise _Unusual  # a missing column: runs.py says which
    convert = pcsv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        include_columns=columns,
        strings_can_be_null=True,
        null_values=[""],
    )
    try:
        reader = pcsv.open_csv(path, read_options=read, parse_options=parse, convert_options=convert)
        while True:
            try:
                yield reader.read_next_batch()
            except StopIteration:
                return
    except (pa.ArrowInvalid, UnicodeDecodeError):
        raise _Unusual from None  # a row with the wrong field count, invalid UTF-8 ...


def _key(column: Any) -> Any:
    """A key column (model, dataset, run id) if every value is one runs.py accepts as it is."""
    import pyarrow.compute as pc

    if column.null_count or pc.any(pc.greater(pc.binary_length(column), MAX_KEY_BYTES)).as_py():
        raise _Unusual
    if pc.any(pc.match_substring_regex(column, _BLANK)).as_py():
        raise _Unusual
    return column


def _numbers(column: Any, nulls: bool) -> Any:
    """float64 of a column runs.py reads as numbers (`_number`: float(text)), finite."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _Unusual from None
    if (values.null_count and not nulls) or not pc.all(pc.is_finite(values)).as_py():
        raise _Unusual  # empty, NaN or infinite: runs.py's rules (refused, or kept as NaN)
    return values


def _exact(text: Any, values: Any) -> None:
    """_Unusual when an accuracy has more digits than its float holds (runs.py refuses it). Texts of
    up to 15 characters are exact, and so are longer ones pyarrow writes back unchanged (a float's
    shortest form, as exporters write them); only the others are checked one by one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    long = pc.greater(pc.utf8_length(text), 15)
    if not pc.any(long).as_py():
        return
    texts, floats = pc.filter(text, long), pc.filter(values, long)
    other = pc.invert(pc.equal(pc.cast(floats, pa.string()), texts))
    for written, value in zip(
        pc.filter(texts, other).to_pylist(), pc.filter(floats, other).to_pylist(), strict=True
    ):
        if float_problem(written, value):
            raise _Unusual


def add_file(
    groups: list[list[Path]], layout: Layout, data: Path, header: list[str], multiline: bool
) -> None:
    """Write the header file of the written `data` file and add both to `layout`'s `groups`."""
    head = data.with_name(data.stem + ".header.csv")
    head.write_text(",".join(header) + "\n", encoding="utf-8")
    layout.add(groups, head, data, multiline, data.stat().st_size)


def write_options() -> Any:
    """How every import file is written here: no header row (add_file writes it), quotes as needed."""
    import pyarrow.csv as pcsv

    return pcsv.WriteOptions(include_header=False, quoting_style="needed")


def write_nodes(layout: Layout, node: schema.NodeKind, ids: Any, modality: Any) -> None:
    """The node file of `ids` (one label; `modality`: one value for all, or a column) in `layout`."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if isinstance(modality, str):
        modality = pa.repeat(modality, len(ids))
    data = layout.directory / f"{node.entity}-0.csv"
    table = pa.table({"id": ids, "label": pa.repeat(node.label, len(ids)), "modality": modality})
    pcsv.write_csv(table, data, write_options=write_options())
    add_file(
        layout.nodes, layout, data, [f"id:ID({node.label})", ":LABEL", "modality:string"], _multiline(ids)
    )


def _multiline(*columns: Any) -> bool:
    """Whether a value of these string columns holds a line break (the importer then needs
    `--multiline-fields`): a byte search of each chunk's value bytes, ~5x faster than a regex."""
    import numpy as np
    import pyarrow as pa

    for column in columns:
        for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
            _, offsets, data = chunk.buffers()
            if data is None or not len(chunk):
                continue
            width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
            start, end = np.frombuffer(offsets, width)[[chunk.offset, chunk.offset + len(chunk)]].tolist()
            values = np.frombuffer(data, np.uint8, end - start, start)  # (a null's bytes: a false alarm)
            if (values == ord("\n")).any() or (values == ord("\r")).any():
                return True
    return False


class _Columns(NamedTuple):
    """One batch of a run file, checked: what runs.py would read from it, column by column."""

    model: Any
    dataset: Any
    run_id: Any
    accuracy: Any  # float64
    hparams: list[Any]  # float64 each, in `_hparams(mapping)` order


def _hparams(mapping: runs_loader.Mapping) -> list[str]:
    """The hyper-parameter columns, once each, if every name is one the importer can take."""
    hparams = list(dict.fromkeys(mapping.hparams))
    if any(
        h in runs_loader.RUN_PROPERTIES or name_problem(h) or any(c in h for c in ':,"\r\n') for h in hparams
    ):
        raise _Unusual
    return hparams


def _checked(path: Path, mapping: runs_loader.Mapping) -> Iterator[_Columns]:
    """The file's non-empty batches, each proven to read as runs.py reads it (else _Unusual)."""
    import pyarrow.compute as pc

    hparams = _hparams(mapping)
    _raw_checks(path)
    for batch in _batches(path, list(dict.fromkeys(mapping.columns()))):
        if batch.num_rows == 0:
            continue
        accuracy = _numbers(batch.column(mapping.accuracy), nulls=False)
        if not pc.all(pc.and_(pc.greater_equal(accuracy, 0.0), pc.less_equal(accuracy, 1.0))).as_py():
            raise _Unusual
        _exact(batch.column(mapping.accuracy), accuracy)
        yield _Columns(
            _key(batch.column(mapping.model)),
            _key(batch.column(mapping.dataset)),
            _key(batch.column(mapping.run_id)),
            accuracy,
            [_numbers(batch.column(h), nulls=True) for h in hparams],
        )


def records(files: list[Path], mapping: runs_loader.Mapping, modality: str) -> list[Records] | None:
    """`runs.load` of each file for the transactional path (`tg ingest runs` without --bulk), read
    column-wise: the same Records, already proven storable; None when anything is unusual."""
    import pyarrow as pa

    try:
        return [_records(path, mapping, modality) for path in files]
    except (_Unusual, pa.ArrowException):
        return None


def _records(path: Path, mapping: runs_loader.Mapping, modality: str) -> Records:
    import pyarrow.compute as pc

    hparams = _hparams(mapping)
    rec = Records(source=f"runs:{path.name}")
    for cols in _checked(path, mapping):
        for table, ids in ((rec.models, cols.model), (rec.datasets, cols.dataset)):
            for id in pc.unique(ids).to_pylist():
                table.setdefault(id, {"id": id, "modality": modality, "props": {}})
        values = [v.to_pylist() for v in cols.hparams]
        base = {"peft": "full", "source": rec.source}
        rec.runs += [
            {"run_id": r, "model": m, "dataset": d,
             "props": {"accuracy": a, **base, **dict(zip(hparams, h, strict=True))}}
            for m, d, r, a, *h in zip(
                cols.model.to_pylist(), cols.dataset.to_pylist(), cols.run_id.to_pylist(),
                cols.accuracy.to_pylist(), *values, strict=True,
            )
        ]  # fmt: skip
    if not rec.runs or len({run["run_id"] for run in rec.runs}) != len(rec.runs):
        raise _Unusual  # no rows, or a duplicate run id: runs.py's messages
    return rec


def _runs(files: list[Path], mapping: runs_loader.Mapping, modality: str, directory: Path) -> Prepared:
    return runs_nodes(runs_relationships(files, mapping, directory), modality)


@dataclass
class RunsPass:
    """The run files' relationship files, written; their node ids, for the node files (`runs_nodes`)."""

    layout: Layout
    source: str
    total: int  # runs
    models: list[Any]  # per file: its distinct model ids
    datasets: list[Any]


def runs_relationships(files: list[Path], mapping: runs_loader.Mapping, directory: Path) -> RunsPass:
    """Check `files` and write their FINETUNED_ON files (streamed); _Unusual for anything unusual."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    hparams = _hparams(mapping)
    kind = schema.FINETUNED_ON
    rel_names = [
        "start",
        "end",
        "type",
        "run_id",
        "accuracy",
        "peft",
        "source",
        *(f"h{i}" for i in range(len(hparams))),
    ]
    rel_types = [pa.string()] * 4 + [pa.float64()] + [pa.string()] * 2 + [pa.float64()] * len(hparams)
    rel_schema = pa.schema(list(zip(rel_names, rel_types, strict=True)))
    header = [f":START_ID({kind.start})", f":END_ID({kind.end})", ":TYPE", "run_id:string", "accuracy:double",
              "peft:string", "source:string", *(f"{h}:double" for h in hparams)]  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    layout = Layout(directory)
    write = write_options()
    run_ids: list[Any] = []
    models: list[Any] = []  # per file: its distinct model ids
    datasets: list[Any] = []
    total = 0
    for f_no, path in enumerate(files):
        source = f"runs:{path.name}"
        data = directory / f"runs-{f_no}.csv"
        multiline, rows = False, 0
        file_models: list[Any] = []
        file_datasets: list[Any] = []
        with pcsv.CSVWriter(data, rel_schema, write_options=write) as out:
            for model, dataset, run_id, accuracy, values in _checked(path, mapping):
                n = len(model)
                multiline = multiline or _multiline(model, dataset, run_id)
                out.write_batch(
                    pa.record_batch(
                        [model, dataset, pa.repeat(kind.type, n), run_id, accuracy, pa.repeat("full", n),
                         pa.repeat(source, n), *values],
                        schema=rel_schema,
                    )
                )  # fmt: skip
                run_ids.append(run_id)
                file_models.append(pc.unique(model))
                file_datasets.append(pc.unique(dataset))
                rows += n
        if rows == 0:
            raise _Unusual  # runs.py: "file has a header but no rows"
        models.append(pc.unique(pa.chunked_array(file_models, pa.string())))
        datasets.append(pc.unique(pa.chunked_array(file_datasets, pa.string())))
        add_file(layout.relationships, layout, data, header, multiline)
        total += rows
    if pc.count_distinct(pa.chunked_array(run_ids, pa.string())).as_py() != total:
        raise _Unusual  # a duplicate run id: runs.py names it (or, across files, plan.py merges)
    run_ids.clear()
    source = ", ".join(dict.fromkeys(f"runs:{p.name}" for p in files))
    return RunsPass(layout, source, total, models, datasets)


def unique(per_file: list[Any]) -> Any:
    """The distinct ids of several files' distinct ids."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.unique(pa.chunked_array(per_file, pa.string()))


def runs_nodes(passed: RunsPass, modality: str, written: Any = None) -> Prepared:
    """The Model and Dataset node files of the runs (modality `modality`) but for the model ids in
    `written` (another loader's node file holds them), and the runs' counts and summary."""
    import pyarrow.compute as pc

    layout = passed.layout
    counts = dict.fromkeys(schema.ENTITIES, 0)
    expected = dict(counts)
    summary = {e: Tally() for e in schema.ENTITIES}
    counts["runs"] = expected["runs"] = summary["runs"].created = passed.total
    for node, per_file in ((schema.MODEL, passed.models), (schema.DATASET, passed.datasets)):
        assert node.entity is not None
        ids = unique(per_file)
        counts[node.entity] = sum(len(a) for a in per_file)
        expected[node.entity] = summary[node.entity].created = len(ids)
        summary[node.entity].unchanged = counts[node.entity] - len(ids)  # named again by a later file
        if node is schema.MODEL and written is not None:
            ids = pc.filter(ids, pc.invert(pc.is_in(ids, written)))
        if len(ids):
            write_nodes(layout, node, ids, modality)
    return Prepared(layout, passed.source, expected, counts, summary)
