"""The one JSON reader: every JSON the project reads from a user goes through `read_json` (a whole
file: config.json, a safetensors header's file, a fingerprint file) or `parse_json` (text already
read: a JSON line, a safetensors header), and a record another library parsed (the Hub client's)
through `check_value`.

Python's `json` fails on hostile input in ways no caller expects: a 5,000-digit integer is a
ValueError, 100,000 nested brackets a RecursionError, `1e400` silently becomes infinity (then an
OverflowError in `int()`). Here each is one `Problem` naming the file (and line), raised as
InvalidInput before anything is written:

- size: a file over `max_bytes` is not read (default `MAX_JSON_BYTES`);
- depth: nesting deeper than `MAX_DEPTH` (the columnar Hub-record path takes lines of at most 512
  brackets, so it never accepts a line this reader refuses);
- integers of more than 4,300 digits (Python's own limit);
- non-finite numbers (`NaN`, `Infinity`, `1e400`) when `finite` (the default). JSON lines of a data
  file pass `finite=False`: there NaN means "unknown" and infinity is refused per cell, with its
  column (`storable.py`);
- a number with more than 15 digits that no 64-bit float holds exactly (`0.999...9` would read as
  1.0) is returned as a `decimal.Decimal`, so a caller that needs the exact value (an accuracy)
  can refuse it and any other reads it with `float()`.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from transfergraph.errors import InvalidInput, Problem
from transfergraph.loaders.storable import float_problem

MAX_JSON_BYTES = 100_000_000
MAX_DEPTH = 512
# 16 or more digits in a row (a dot allowed): the only numbers that may not round-trip a float
_LONG_NUMBER = re.compile(r"[0-9][0-9.]{15}")


class _Refused(Exception):
    """A number the hooks below refuse while json parses."""


def _float(text: str) -> float | Decimal:
    value = float(text)
    if len(text) <= 15 or not math.isfinite(value) or repr(value) == text:  # exact, the usual way
        return value
    return Decimal(text) if float_problem(text, value) else value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"non-finite number {text[:40]}")
    return value


def _finite_exact_float(text: str) -> float | Decimal:
    _finite_float(text)
    return _float(text)


def _constant(name: str) -> float:
    raise _Refused(f"non-finite number {name}")


def _too_deep(value: Any, brackets: int) -> bool:
    """Whether `value` nests deeper than MAX_DEPTH (a walk only when the text has that many brackets)."""
    if brackets <= MAX_DEPTH:
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False


def parse_json(
    text: str, file: str, line: int | None = None, *, finite: bool = True, exact: bool = True
) -> Any:
    """The JSON value of `text` (a whole file, or the line `line` of one), or InvalidInput with one
    Problem naming `file` (and `line`). `exact=False`: numbers no float holds are read as the
    nearest float, not as Decimal (for a value sent on as it is, e.g. a query parameter)."""

    def refuse(message: str) -> InvalidInput:
        return InvalidInput([Problem(file, line, None, message)])

    hooks: dict[str, Any] = {}
    if finite:
        hooks = {"parse_float": _finite_exact_float if exact else _finite_float, "parse_constant": _constant}
    elif exact and _LONG_NUMBER.search(text):
        hooks = {"parse_float": _float}
    try:
        value = json.loads(text, **hooks)
    except json.JSONDecodeError as e:
        where = f"at character {e.colno}" if e.lineno == 1 else f"at line {e.lineno}, character {e.colno}"
        raise refuse(f"not JSON: {e.msg} {where}") from None
    except _Refused as e:
        raise refuse(f"not JSON we can read: {e}") from None
    except (ValueError, RecursionError) as e:  # a 5000-digit integer, nesting 10000 deep
        reason = "nested too deeply" if isinstance(e, RecursionError) else str(e).split(";")[0]
        raise refuse(f"not JSON we can read: {reason}") from None
    if _too_deep(value, text.count("[") + text.count("{")):
        raise refuse(f"not JSON we can read: nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def check_value(value: Any, file: str) -> Any:
    """`value` (JSON another library parsed, e.g. a Hub record) under the same rules as parse_json:
    nesting at most MAX_DEPTH, finite numbers; else InvalidInput naming `file`."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput([Problem(file, None, None, f"not JSON we can read: non-finite number {item}")])
        if isinstance(item, dict | list | tuple):
            if depth > MAX_DEPTH:
                message = f"not JSON we can read: nested too deeply (more than {MAX_DEPTH} levels)"
                raise InvalidInput([Problem(file, None, None, message)])
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return value


def read_json(path: Path, *, max_bytes: int | None = None, finite: bool = True) -> Any:
    """The JSON value of the file `path`: UTF-8 (a byte-order mark of another encoding, NUL bytes or
    bad bytes are one line naming it), at most `max_bytes` (default MAX_JSON_BYTES), under
    parse_json's rules."""
    from transfergraph.loaders.tabular import decode_text  # tabular imports this module

    name, max_bytes = str(path), MAX_JSON_BYTES if max_bytes is None else max_bytes
    try:
        if path.is_dir():
            raise InvalidInput([Problem(name, None, None, "is a directory, not a JSON file")])
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(
                [Problem(name, None, None, f"is {size} bytes; we read JSON of at most {max_bytes}")]
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput([Problem(name, None, None, "file not found")]) from None
    except OSError as e:
        raise InvalidInput([Problem(name, None, None, f"cannot read: {e.strerror}")]) from None
    return parse_json(decode_text(name, data), name, finite=finite)
