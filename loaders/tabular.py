"""Read CSV, JSONL or Parquet into (row number, {column: value}) pairs, or say exactly what is wrong.

Row numbers are what a user finds in an editor: the line for CSV and JSONL (a CSV header is
line 1), the 1-based data row for Parquet.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from transfergraph.loaders.records import InvalidInput, Problem

Row = tuple[int, dict[str, Any]]


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Columns and rows of a file, by extension (.csv, .jsonl/.ndjson, .parquet)."""
    name = str(path)
    if not path.is_file():
        raise InvalidInput([Problem(name, None, None, "file not found")])
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet(path)
    data = path.read_bytes()
    if not data.strip():
        raise InvalidInput([Problem(name, None, None, "file is empty")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = _csv_column_at(data, e.start) if suffix == ".csv" else None
        raise InvalidInput(
            [Problem(name, line, col, f"not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start}")]
        ) from None
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl(name, text)
    if suffix == ".csv":
        return _csv(name, text)
    raise InvalidInput(
        [Problem(name, None, None, f"unknown file type {suffix!r} (expected .csv, .jsonl, .parquet)")]
    )


def _csv_column_at(data: bytes, offset: int) -> str | None:
    """The header name of the CSV field holding byte `offset` (for an undecodable-byte message)."""
    header = next(csv.reader(io.StringIO(data.split(b"\n", 1)[0].decode("utf-8", "replace"))), [])
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", "replace")
    index = len(next(csv.reader(io.StringIO(prefix + "x")), [""])) - 1
    return header[index] if 0 <= index < len(header) else None


def _csv(name: str, text: str) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as e:
        raise InvalidInput([Problem(name, 1, None, f"no CSV header ({e})")]) from None
    header = [h.strip() for h in header]
    problems = [
        Problem(name, 1, h, f"duplicate column name (columns {i + 1} and {header.index(h) + 1})")
        for i, h in enumerate(header)
        if h in header[:i]
    ]
    problems += [Problem(name, 1, None, f"column {i + 1} has no name") for i, h in enumerate(header) if not h]
    rows: list[Row] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not fields:
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(name, line, None, f"{len(fields)} fields, the header has {len(header)}")
                )
                continue
            rows.append((line, {h: (v if v != "" else None) for h, v in zip(header, fields, strict=True)}))
    except csv.Error as e:
        problems.append(Problem(name, reader.line_num, None, f"malformed CSV: {e}"))
    if problems:
        raise InvalidInput(problems)
    if not rows:
        raise InvalidInput([Problem(name, None, None, "file has a header but no rows")])
    return header, rows


def _jsonl(name: str, text: str) -> tuple[list[str], list[Row]]:
    rows: list[Row] = []
    problems: list[Problem] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Problem(name, line_no, None, f"not JSON: {e.msg} at character {e.colno}"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, line_no, None, f"expected a JSON object, got {type(obj).__name__}"))
            continue
        rows.append((line_no, obj))
    if problems:
        raise InvalidInput(problems)
    columns = list(dict.fromkeys(k for _, r in rows for k in r))
    return columns, rows


def _parquet(path: Path) -> tuple[list[str], list[Row]]:
    import pyarrow.parquet as pq  # pyarrow is a core dependency; imported here to keep `tg` start fast

    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise InvalidInput([Problem(str(path), None, None, f"not a readable Parquet file: {e}")]) from None
    names = table.column_names
    dupes = [n for i, n in enumerate(names) if n in names[:i]]
    if dupes:
        raise InvalidInput([Problem(str(path), None, d, "duplicate column name") for d in dupes])
    if table.num_rows == 0:
        raise InvalidInput([Problem(str(path), None, None, "file has no rows")])
    return names, list(enumerate(table.to_pylist(), start=1))
