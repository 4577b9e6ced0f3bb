"""Read CSV, JSONL or Parquet into (row number, {column: value}) pairs, or say exactly what is wrong.

Row numbers are what a user finds in an editor: the line for CSV and JSONL (a CSV header is
line 1), the 1-based data row for Parquet.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from transfergraph.errors import InvalidInput, Problem
from transfergraph.loaders.guarded_json import parse_json

Row = tuple[int, dict[str, Any]]


MAX_PROBLEMS = 50  # a binary file read as text would otherwise print one line per "row"

# Byte-order marks of encodings we do not read (UTF-32 first: its LE mark starts with UTF-16's).
BOMS = [
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
]


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Columns and rows of a file, by extension (.csv, .jsonl/.ndjson, .parquet)."""
    name = str(path)
    if path.is_dir():
        raise InvalidInput([Problem(name, None, None, "is a directory, not a file")])
    if not path.exists():
        raise InvalidInput([Problem(name, None, None, "file not found")])
    if not path.is_file():
        raise InvalidInput([Problem(name, None, None, "is not a regular file")])
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet(path)
    if suffix not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise InvalidInput(
            [Problem(name, None, None, f"unknown file type {suffix!r} (expected .csv, .jsonl, .parquet)")]
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidInput([Problem(name, None, None, f"cannot read: {e.strerror}")]) from None
    text = _decode(name, data, suffix)
    if suffix == ".csv":
        return _csv(name, text)
    return _jsonl(name, text)


def decode_text(name: str, data: bytes) -> str:
    """UTF-8 text of a file's bytes, or InvalidInput naming the file and what the bytes are (another
    encoding's byte-order mark, NUL bytes, the first byte that is not UTF-8)."""
    return _decode(name, data, "")


def _decode(name: str, data: bytes, suffix: str) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is dropped), or one Problem naming what the bytes are."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            raise InvalidInput(
                [Problem(name, None, None, f"is {encoding} text (byte-order mark): save it as UTF-8")]
            )
    if not data.strip():
        raise InvalidInput([Problem(name, None, None, "file is empty")])
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise InvalidInput(
            [
                Problem(
                    name,
                    line,
                    None,
                    f"NUL byte at offset {nul}: binary data or UTF-16 without a byte-order mark, "
                    "not UTF-8 text",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        col = _csv_column_at(data, e.start) if suffix == ".csv" else None
        raise InvalidInput(
            [
                Problem(
                    name, line, col, f"not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start} ({e.reason})"
                )
            ]
        ) from None


def _csv_column_at(data: bytes, offset: int) -> str | None:
    """The header name of the CSV field holding byte `offset` (for an undecodable-byte message);
    None when the header itself is not clean UTF-8 or the field cannot be told."""
    first = data.split(b"\n", 1)[0]
    if offset < len(first) + 1:
        return None
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8-sig"))), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", "replace")
    try:
        index = len(next(csv.reader(io.StringIO(prefix + "x")), [""])) - 1
    except csv.Error:
        return None
    return header[index].strip() if 0 <= index < len(header) else None


def _capped(name: str, problems: list[Problem]) -> InvalidInput:
    if len(problems) <= MAX_PROBLEMS:
        return InvalidInput(problems)
    more = len(problems) - MAX_PROBLEMS
    return InvalidInput([*problems[:MAX_PROBLEMS], Problem(name, None, None, f"and {more} more problems")])


def _open_quote(text: str) -> int | None:
    """The line where a quoted field opens that never closes (a cut file), else None.

    Follows the csv module's default dialect: a quote opens a field only at its start, `""` inside
    a quoted field is a quote; lines end at \\n, \\r\\n or \\r as `csv.reader.line_num` counts them.
    Jumps from quote to quote (str.find), as only quotes change the state: a character loop took
    ~15 s per million runs.
    """
    quoted, opened = False, -1
    at = text.find('"')
    while at >= 0:
        if quoted:
            if text.startswith('""', at):
                at = text.find('"', at + 2)
                continue
            quoted = False
        elif at == 0 or text[at - 1] in ",\n\r":  # a field's first character (not inside a field)
            quoted, opened = True, at
        at = text.find('"', at + 1)
    if not quoted:
        return None
    before = text[:opened]
    return 1 + before.count("\n") + before.count("\r") - before.count("\r\n")


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
        if h and h in header[:i]
    ]
    problems += [Problem(name, 1, None, f"column {i + 1} has no name") for i, h in enumerate(header) if not h]
    rows: list[Row] = []
    cut = _open_quote(text)
    start = reader.line_num + 1  # the line a record starts on (a quoted field may span lines)
    try:
        for fields in reader:
            line = start
            start = reader.line_num + 1
            if not fields:
                continue
            if cut is not None and line <= cut < start:
                col = header[len(fields) - 1] if len(fields) <= len(header) else None
                problems.append(
                    Problem(name, cut, col, "quoted field is not closed: the file ends inside it")
                )
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(name, line, None, f"{len(fields)} fields, the header has {len(header)}")
                )
                continue
            rows.append((line, {h: (v if v != "" else None) for h, v in zip(header, fields, strict=True)}))
    except csv.Error as e:
        problems.append(Problem(name, start, None, f"malformed CSV: {e}"))
    if problems:
        raise _capped(name, problems)
    if not rows:
        raise InvalidInput([Problem(name, None, None, "file has a header but no rows")])
    return header, rows


def _jsonl(name: str, text: str) -> tuple[list[str], list[Row]]:
    """One JSON object per line; lines end at \\n only (U+2028 or U+0085 inside a string is text)."""
    rows: list[Row] = []
    problems: list[Problem] = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:  # NaN is "unknown" and infinity refused per cell, with its column (storable.py)
            obj = parse_json(line, name, line_no, finite=False)
        except InvalidInput as e:
            problems += e.problems
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(name, line_no, None, f"expected a JSON object, got {type(obj).__name__}"))
            continue
        rows.append((line_no, obj))
    if problems:
        raise _capped(name, problems)
    columns = list(dict.fromkeys(k for _, r in rows for k in r))
    return columns, rows


def _parquet(path: Path) -> tuple[list[str], list[Row]]:
    import pyarrow.parquet as pq  # pyarrow is a core dependency; imported here to keep `tg` start fast

    try:
        table = pq.read_table(path)
        names = table.column_names
        rows = table.to_pylist()
    except Exception as e:  # pyarrow raises several types for a damaged file or an odd value
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        problem = Problem(str(path), None, None, f"not a readable Parquet file: {first}")
        raise InvalidInput([problem]) from None
    dupes = [n for i, n in enumerate(names) if n in names[:i]]
    if dupes:
        raise InvalidInput([Problem(str(path), None, d, "duplicate column name") for d in dupes])
    if table.num_rows == 0:
        raise InvalidInput([Problem(str(path), None, None, "file has no rows")])
    return names, list(enumerate(rows, start=1))
