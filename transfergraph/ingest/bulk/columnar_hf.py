"""`tg ingest hf-models --file MODELS.jsonl... --bulk` for large files: the columnar path of
`columnar.py` (read its docstring: the same design) for Hub model records.

Why: at 1M records the Records path spends 83 s in row-by-row Python (JSON lines to dicts,
`records_from`, `storable.check` 65 s, the plan 8 s, the CSV writer 10 s) and holds 3.4 GiB. Here
pyarrow reads only the fields `loaders/hf_models.py` reads, in streamed batches, and writes the
import files column by column: 7 s and 0.6 GiB. Memory beyond a batch: the model ids (duplicate
check) and one (dataset, modality) row per naming (the datasets' modality and tallies).

The rules stay in `hf_models.records_from`; this path proves a file clean and hands anything
unusual over (None): a line pyarrow could read differently from `json.loads` (not starting with
`{`, two objects on a line, NUL, numbers of 4,000 digits or 512 brackets on a line, which Python
refuses), a field of another type than the plain one (pyarrow fails: a float count, a string
`card_data.datasets`, an object `config` ...), nulls inside lists, a negative count, a blank,
over-long or duplicate model id, `modelId` or `cardData` set, U+001F in an architecture name.

`records` reads the same checked batches (`_checked`) into the Records `hf_models.load_file` builds,
for `tg ingest hf-models --file` without --bulk: at 1M records reading and checking take 11 s and
1.9 GiB (the Records themselves) instead of 65 s and 3.3 GiB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from transfergraph import schema
from transfergraph.ingest.bulk.columnar import (
    _BLANK,
    BLOCK_BYTES,
    Layout,
    Prepared,
    _key,
    _multiline,
    _Unusual,
    add_file,
    large_enough,
    write_nodes,
    write_options,
)
from transfergraph.ingest.writer import Tally
from transfergraph.loaders.hf_models import PIPELINE_MODALITY
from transfergraph.loaders.records import MODALITIES, Records

SUFFIXES = (".jsonl", ".ndjson", ".json")  # what `tabular.read_rows` reads as JSON lines
SOURCE = "hf-models"  # the Records' source and the relationships' `source` property
MAX_BRACKETS = 512  # per line: json.loads recurses once per level, up to ~1,000
_DIGITS = re.compile(rb"[0-9]{4000}")  # Python refuses to parse an integer of over 4,300 digits
MODEL_COLUMNS = [  # (property, import type); the node file's columns after id and label
    ("modality", "string"),
    ("pipeline_tag", "string"),
    ("library", "string"),
    ("architectures", "string[]"),
    ("model_type", "string"),
    ("num_parameters", "long"),
    ("downloads", "long"),
    ("likes", "long"),
]


@dataclass
class Known:
    """Nodes an earlier load of the same import wrote (`combined.py`: the runs before the records):
    distinct Model and Dataset ids, all of modality `modality`."""

    models: Any
    datasets: Any
    modality: str


def wanted(files: list[Path]) -> bool:
    """Whether to try this path (then `hf_models` may still hand over to the Records path)."""
    return large_enough(files, SUFFIXES)


def hf_models(files: list[Path], modality: str | None, directory: Path) -> Prepared | None:
    """Write the import files of `files` (as `tg ingest hf-models --file` would load them) into
    `directory`; None when anything is unusual (the caller then takes the Records path)."""
    import pyarrow as pa

    try:
        return hf_pass(files, modality, directory)[0]
    except (_Unusual, pa.ArrowException, UnicodeDecodeError):  # pyarrow reads it differently
        return None


def _schema() -> Any:
    """Every field `records_from` reads, with its plain type (another type fails the read)."""
    import pyarrow as pa

    text, names = pa.string(), pa.list_(pa.string())
    return pa.schema(
        [("id", text), ("modelId", text), ("pipeline_tag", text), ("library_name", text), ("library", text),
         ("model_type", text), ("architectures", names), ("downloads", pa.int64()), ("likes", pa.int64()),
         ("num_parameters", pa.int64()), ("number_of_parameters", pa.int64()), ("tags", names),
         ("config", pa.struct([("architectures", names), ("model_type", text)])),
         ("safetensors", pa.struct([("total", pa.int64())])),
         ("card_data", pa.struct([("datasets", names)])), ("cardData", pa.struct([("datasets", names)]))]
    )  # fmt: skip


def _lines(block: bytes) -> int:
    """The records of whole lines `block`, or _Unusual where pyarrow may read them differently."""
    import numpy as np

    if b"\x00" in block or b"\\u0000" in block:
        raise _Unusual
    block.decode("utf-8")  # UnicodeDecodeError: pyarrow takes bad bytes, tabular.py does not
    data = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    starts = np.concatenate(([0], ends + 1))[: len(ends)].astype(np.int64)
    first = data[starts]
    if not np.isin(first, (ord("{"), ord("\n"))).all():
        raise _Unusual  # a value that is not an object (pyarrow crashes on `null`), padding, a BOM
    long = ends - starts > 2 * MAX_BRACKETS  # only a long line nests deep or holds a long number
    for start, end in zip(starts[long].tolist(), ends[long].tolist(), strict=True):
        line = block[start:end]
        if line.count(b"{") + line.count(b"[") >= MAX_BRACKETS or _DIGITS.search(line):
            raise _Unusual
    return int((first == ord("{")).sum())


def _records(path: Path) -> int:
    """Lines holding a record, after checking every line (`_lines`) in blocks."""
    count, rest = 0, b""
    with open(path, "rb") as f:
        while chunk := f.read(BLOCK_BYTES):
            block = rest + chunk
            cut = block.rfind(b"\n") + 1
            count += _lines(block[:cut])
            rest = block[cut:]
    return count + _lines(rest + b"\n") if rest else count


class _Batch(NamedTuple):
    """One batch of a record file, checked: what `records_from` would read from it."""

    nodes: Any  # the model node file's columns: id, label, then MODEL_COLUMNS (architectures joined)
    named: Any  # (row, dataset, modality) per trained-on naming, in row order; blank names dropped
    architectures: Any  # list<string>: the Records' `architectures`, which `nodes` holds joined


def _batch(batch: Any, modality: str | None) -> _Batch:
    """A batch of records as model node columns and (row, dataset, modality) namings in row order,
    as `records_from` builds them; _Unusual for anything it would refuse or read otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n, col = batch.num_rows, batch.column
    if col("modelId").null_count != n or col("cardData").null_count != n:
        raise _Unusual  # the other spellings: `_first` picks between them
    model = _key(col("id"))
    config, field = col("config"), pc.struct_field
    arch = field(config, "architectures")  # `config.architectures or architectures`
    arch = pc.if_else(
        pc.fill_null(pc.greater(pc.list_value_length(arch), 0), False), arch, col("architectures")
    )
    flat = pc.list_flatten(arch)
    if flat.null_count or pc.any(pc.match_substring(flat, "\x1f")).as_py():
        raise _Unusual  # null in a list (refused); the array delimiter (write_csv refuses it)
    arch = _without_blanks(arch, flat)
    model_type = field(config, "model_type")  # `config.model_type or model_type`
    model_type = pc.if_else(pc.fill_null(pc.not_equal(model_type, ""), False), model_type, col("model_type"))
    params = pc.coalesce(
        field(col("safetensors"), "total"), col("num_parameters"), col("number_of_parameters")
    )
    counts = [params, col("downloads"), col("likes")]
    if any(pc.any(pc.less(c, 0)).as_py() for c in counts):
        raise _Unusual
    if modality is None:
        known = pa.array(list(PIPELINE_MODALITY))
        mod = pc.take(pa.array(list(PIPELINE_MODALITY.values())), pc.index_in(col("pipeline_tag"), known))
    else:
        mod = pa.repeat(modality, n)
    library = pc.coalesce(col("library_name"), col("library"))
    texts = [col("pipeline_tag"), library, pc.binary_join(arch, "\x1f"), model_type]
    nodes = pa.record_batch(
        [model, pa.repeat(schema.MODEL.label, n), mod, *texts, *counts],
        names=["id", "label", *(k for k, _ in MODEL_COLUMNS)],
    )
    # trained-on datasets: card data, then `dataset:` tags; blank names are skipped
    card, tags = field(col("card_data"), "datasets"), col("tags")
    card_names, tag_names = pc.list_flatten(card), pc.list_flatten(tags)
    if card_names.null_count:
        raise _Unusual
    tagged = pc.fill_null(pc.starts_with(tag_names, "dataset:"), False)
    names = pa.chunked_array([card_names, pc.utf8_slice_codeunits(pc.filter(tag_names, tagged), 8)])
    rows = pa.chunked_array([pc.list_parent_indices(card), pc.filter(pc.list_parent_indices(tags), tagged)])
    named = pa.table({"row": rows, "dataset": names}).filter(
        pc.invert(pc.match_substring_regex(names, _BLANK))
    )
    _key(named["dataset"])
    named = named.sort_by("row")  # stable: the first naming of a dataset decides its modality
    named = named.append_column("modality", pc.take(mod, named["row"]))
    return _Batch(nodes, named, arch)


def _without_blanks(lists: Any, flat: Any) -> Any:
    """`lists` with blank names skipped and an empty list as null, as `records_from` reads them."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pc.invert(pc.match_substring_regex(flat, _BLANK))
    if pc.all(keep).as_py() and not pc.any(pc.equal(pc.list_value_length(lists), 0)).as_py():
        return lists  # the common case: nothing to skip
    kept = np.bincount(pc.filter(pc.list_parent_indices(lists), keep).to_numpy(), minlength=len(lists))
    offsets = pa.array(np.concatenate(([0], np.cumsum(kept))), pa.int32())
    empty = pc.or_(pc.is_null(lists), pc.equal(pa.array(kept), 0))
    return pa.ListArray.from_arrays(offsets, pc.filter(flat, keep), mask=empty)


def _checked(path: Path, modality: str | None) -> Iterator[_Batch]:
    """The file's non-empty batches, each proven to read as `records_from` reads it; _Unusual for
    anything unusual, also after the last batch (two objects on a line, or no record at all)."""
    import pyarrow.json as pj

    if modality is not None and modality not in MODALITIES:
        raise _Unusual  # records_from names it
    lines = _records(path)
    parse = pj.ParseOptions(explicit_schema=_schema(), unexpected_field_behavior="ignore")
    read = pj.ReadOptions(block_size=BLOCK_BYTES)
    rows = 0
    for batch in pj.open_json(path, read_options=read, parse_options=parse):
        if batch.num_rows:
            rows += batch.num_rows
            yield _batch(batch, modality)
    if rows != lines or not rows:
        raise _Unusual  # two objects on a line (json.loads refuses), or no record


def _distinct(ids: list[Any]) -> Any:
    """The model ids of every batch as one column; _Unusual for a model named twice (plan.py merges
    its records, `Records.model` its rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.chunked_array(ids, pa.string())
    if pc.count_distinct(column).as_py() != len(column):
        raise _Unusual
    return column


def records(files: list[Path], modality: str | None) -> list[Records] | None:
    """`hf_models.load_file` of each file for the transactional path (`tg ingest hf-models --file`
    without --bulk), read column-wise from the batches `hf_pass` checks: the same Records, already
    proven storable; None when anything is unusual (the row loader then reads and explains it)."""
    import pyarrow as pa

    parts: list[Records] = []
    ids: list[Any] = []
    try:
        for path in files:
            rec = Records(source=SOURCE)
            for checked in _checked(path, modality):
                ids.append(checked.nodes.column("id"))
                _add(rec, checked)
            parts.append(rec)
        _distinct(ids)
        return parts
    except (_Unusual, pa.ArrowException, UnicodeDecodeError):
        return None


_PROPS = [k for k, _ in MODEL_COLUMNS[1:]]  # the model props, as `records_from` names them


def _add(rec: Records, checked: _Batch) -> None:
    """A checked batch's models, datasets and PRETRAINED_ON rows into `rec`, as `records_from` adds
    them: no key for a missing value (`clean`), a dataset takes the first known modality named for
    it, a record names a dataset once."""
    nodes = checked.nodes
    ids = nodes.column("id").to_pylist()
    columns = [checked.architectures if k == "architectures" else nodes.column(k) for k in _PROPS]
    for id, mod, *values in zip(
        ids, nodes.column("modality").to_pylist(), *(c.to_pylist() for c in columns), strict=True
    ):
        props = {k: v for k, v in zip(_PROPS, values, strict=True) if v is not None}
        rec.models[id] = {"id": id, "modality": mod, "props": props}
    named = checked.named
    last, once = -1, set[str]()
    datasets, pretrained_on = rec.datasets, rec.pretrained_on
    for row, dataset, mod in zip(
        *(named[c].to_pylist() for c in ("row", "dataset", "modality")), strict=True
    ):
        if row != last:
            last, once = row, set()
        if dataset in once:
            continue
        once.add(dataset)
        entry = datasets.setdefault(dataset, {"id": dataset, "modality": mod, "props": {}})
        entry["modality"] = entry["modality"] or mod
        pretrained_on.append({"model": ids[row], "dataset": dataset, "props": {"source": SOURCE}})


def hf_pass(
    files: list[Path], modality: str | None, directory: Path, known: Known | None = None
) -> tuple[Prepared, Any]:
    """The import files and the model ids; _Unusual for anything unusual. With `known`, as upserted
    after it (plan.py `_upserted`): a known model keeps its modality and takes the record's
    properties (updated, or unchanged when the record brings none), a known dataset stays as it is
    (unchanged, no node row here); the counts and summary are this load's share of the import."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    directory.mkdir(parents=True, exist_ok=True)
    layout = Layout(directory)
    write = write_options()
    text, long = pa.string(), pa.int64()
    types = {"string": text, "string[]": text, "long": long}
    node_schema = pa.schema([("id", text), ("label", text), *((k, types[t]) for k, t in MODEL_COLUMNS)])
    rel_schema = pa.schema([("start", text), ("end", text), ("type", text), ("source", text)])
    kind = schema.PRETRAINED_ON
    node_header = [f"id:ID({kind.start})", ":LABEL", *(f"{k}:{t}" for k, t in MODEL_COLUMNS)]
    rel_header = [f":START_ID({kind.start})", f":END_ID({kind.end})", ":TYPE", "source:string"]
    ids: list[Any] = []
    seen: list[Any] = []  # (dataset, modality, file) per naming, in file order
    pairs = again = again_bringing = 0
    for f_no, path in enumerate(files):
        nodes, rels = directory / f"models-{f_no}.csv", directory / f"pretrained_on-{f_no}.csv"
        multi_nodes = multi_rels = False
        file_pairs = 0
        n_out = pcsv.CSVWriter(nodes, node_schema, write_options=write)
        r_out = pcsv.CSVWriter(rels, rel_schema, write_options=write)
        with n_out, r_out:
            for node_batch, named, _ in _checked(path, modality):
                model = node_batch.column(0)
                if known is not None:
                    is_known = pc.is_in(model, known.models)
                    brings = pc.is_valid(node_batch.column(3))
                    for column in node_batch.columns[4:]:
                        brings = pc.or_(brings, pc.is_valid(column))
                    again += pc.sum(is_known).as_py() or 0
                    again_bringing += pc.sum(pc.and_(is_known, brings)).as_py() or 0
                    mod = pc.if_else(is_known, pa.scalar(known.modality), node_batch.column(2))
                    node_batch = node_batch.set_column(2, "modality", mod)
                n_out.write_batch(node_batch)
                pair = named.group_by(["row", "dataset"]).aggregate([])  # a name once per record
                n = pair.num_rows
                start, end = pc.take(model, pair["row"]), pair["dataset"]
                r_out.write_table(
                    pa.table([start, end, pa.repeat(kind.type, n), pa.repeat(SOURCE, n)], rel_schema)
                )
                ids.append(model)
                seen.append(named.drop_columns("row").append_column("file", pa.repeat(f_no, named.num_rows)))
                multi_ids = _multiline(model)
                multi_nodes = multi_nodes or multi_ids or _multiline(*node_batch.columns[3:7])
                multi_rels = multi_rels or multi_ids or _multiline(named["dataset"])
                file_pairs += pair.num_rows
        add_file(layout.nodes, layout, nodes, node_header, multi_nodes)
        if file_pairs:  # write_csv writes no file for an empty group
            add_file(layout.relationships, layout, rels, rel_header, multi_rels)
        pairs += file_pairs
    models = _distinct(ids)
    total = len(models)
    prepared = _finish(layout, seen, total, pairs, known)
    tally = prepared.summary["models"]
    tally.created -= again
    tally.updated, tally.unchanged = again_bringing, again - again_bringing
    prepared.expected["models"] -= again
    return prepared, models


def _finish(layout: Layout, seen: list[Any], models: int, pairs: int, known: Known | None) -> Prepared:
    """The Dataset node file and the summary, as `plan` upserts the files' datasets in order: a
    dataset takes the first modality named for it; a later file naming it again updates it when it
    brings its first modality, else leaves it unchanged. A `known` dataset: unchanged each time."""
    import pyarrow as pa
    import pyarrow.compute as pc

    named = pa.concat_tables(seen)
    file = named["file"]
    named = named.append_column("first_known", pc.if_else(pc.is_valid(named["modality"]), file, None))
    per = named.group_by("dataset", use_threads=False).aggregate(
        [("modality", "first"), ("file", "min"), ("first_known", "min"), ("file", "count_distinct")]
    )
    rows = pc.sum(per["file_count_distinct"]).as_py() or 0
    if known is not None:  # named before: each naming file leaves it unchanged, no node row here
        per = per.filter(pc.invert(pc.is_in(per["dataset"], known.datasets)))
    datasets = per.num_rows
    updated = pc.sum(pc.greater(per["first_known_min"], per["file_min"])).as_py() or 0
    counts = dict.fromkeys(schema.ENTITIES, 0)
    counts |= {"models": models, "datasets": rows, "pretrained_on": pairs}
    expected = counts | {"datasets": datasets}
    summary = {e: Tally() for e in schema.ENTITIES}
    summary["models"].created, summary["pretrained_on"].created = models, pairs
    tally = summary["datasets"]
    tally.created, tally.updated = datasets, updated
    tally.unchanged = rows - datasets - updated  # a known dataset's namings: all unchanged
    if datasets:
        write_nodes(layout, schema.DATASET, per["dataset"], per["modality_first"])
    return Prepared(layout, SOURCE, expected, counts, summary)
