"""What Neo4j can store, checked before anything is written: one place for every loader and both
write paths (transactional and `--bulk`).

Neo4j stores a property as a boolean, a 64-bit integer, a 64-bit float, a string, or a homogeneous
list of one of those. Anything else (a map, a list mixing types or holding null, a nested list,
bytes, a date) is **refused**, not converted: the message names the file, row and column and says
to flatten the value or store it as a JSON string. Floats must be finite: Neo4j itself stores
NaN and infinity, but a loader reads NaN as "unknown" (the property is left out) and infinity is
always an overflow in our sources (`1e999`), so it is refused. Integers must fit in 64 bits.

Keys (node ids, run ids, metrics, probe models) are indexed: the range index behind a uniqueness
constraint refuses a string longer than 8,164 UTF-8 bytes (measured on Neo4j 5.26, the same for
1-, 2-, 3- and 4-byte characters and for relationship keys). We refuse more than `MAX_KEY_BYTES`
(8,000), keeping a margin. Strings must be valid Unicode: a lone surrogate (`"\\ud800"` in JSON)
cannot be sent over Bolt.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from transfergraph.errors import InvalidInput, Problem
from transfergraph.loaders.records import Records

# Measured: 8164 bytes is the largest string the range index of a uniqueness constraint takes.
INDEX_KEY_LIMIT_BYTES = 8164
MAX_KEY_BYTES = 8000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_SCALARS = (bool, int, float, str)
_TYPE_NAMES = {dict: "a map", list: "a list", tuple: "a list", bytes: "binary data", bytearray: "binary data"}


def _plain(value: Any) -> Any:
    """numpy / pyarrow scalars as the Python value they hold (pandas gives numpy.int64 ...)."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _kind(value: Any) -> str:
    for t, name in _TYPE_NAMES.items():
        if isinstance(value, t):
            return name
    return f"a {type(value).__name__}"


def _bad_string(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return f"not valid Unicode: lone surrogate U+{ord(text[e.start]):04X} at character {e.start + 1}"
    return None


def _bad_scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return f"integer {_short(value)} is outside the 64-bit range Neo4j stores"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) or math.isnan(value) else f"non-finite number {value!r}"
    if isinstance(value, str):
        return _bad_string(value)
    return f"{_kind(value)} cannot be stored as a Neo4j property"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:18]}...{text[-18:]} ({len(text)} characters)"


def float_problem(text: str, value: float) -> str | None:
    """Why the number written as `text` is not stored as written: no 64-bit float holds it, and the
    nearest one, `value`, is another number (`0.999...9` with 5,000 nines reads as 1.0). Exact
    means `value`'s shortest form (repr) is the written number: always so for up to 15 significant
    digits, and for the 17 a float's repr writes."""
    try:
        written = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not written.is_finite() or not math.isfinite(value) or written == Decimal(repr(value)):
        return None
    return (
        f"{_short(text.strip())} has more digits than a 64-bit float holds: it would be stored as {value!r}"
    )


def value_problem(value: Any) -> str | None:
    """Why Neo4j cannot store `value` as a property (None when it can, or when it is None/NaN:
    unknown values are left out by `records.clean`)."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        if any(v is None for v in items):
            return "a list holding null cannot be stored (Neo4j lists hold no nulls)"
        if any(isinstance(v, float) and math.isnan(v) for v in items):
            return "a list holding NaN cannot be stored"
        kinds = {_list_kind(v) for v in items}
        if len(kinds) > 1:
            names = ", ".join(sorted(k.__name__ if isinstance(k, type) else k for k in kinds))
            return (
                f"a list mixing types ({names}) cannot be stored: Neo4j lists hold one type "
                "(store it as a JSON string)"
            )
        if kinds and not isinstance(next(iter(kinds)), type):
            return f"a list of {next(iter(kinds))} cannot be stored (flatten it or store it as a JSON string)"
        for v in items:
            problem = _bad_scalar(v)
            if problem:
                return f"list item: {problem}"
        return None
    if isinstance(value, dict):
        return "a map cannot be stored as a Neo4j property (flatten it into columns, or a JSON string)"
    return _bad_scalar(value)


def _list_kind(value: Any) -> type | str:
    if isinstance(value, bool):
        return bool
    if isinstance(value, int | float):
        return float if isinstance(value, float) else int
    if isinstance(value, str):
        return str
    return f"{_kind(value).removeprefix('a ')}s"


def key_problem(value: Any, what: str = "id") -> str | None:
    """Why `value` cannot be a key (node id, run id): not a string, empty, invalid, too long."""
    value = _plain(value)
    if not isinstance(value, str):
        return f"expected a string {what}, got {_kind(value)}"
    if not value.strip():
        return f"empty {what}"
    bad = _bad_string(value)
    if bad:
        return f"{what} is {bad}"
    size = len(value.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        return (
            f"{what} is {size} bytes of UTF-8; Neo4j indexes at most {INDEX_KEY_LIMIT_BYTES} "
            f"(we accept {MAX_KEY_BYTES})"
        )
    return None


def name_problem(name: Any) -> str | None:
    """Why `name` cannot be a property name (Neo4j refuses empty names and NUL characters)."""
    if not isinstance(name, str):
        return f"expected a string property name, got {_kind(name)}"
    if not name or "\x00" in name:
        return "a property name must be non-empty and hold no NUL character"
    bad = _bad_string(name)
    return f"property name is {bad}" if bad else None


# Per entity: the row fields that are keys (indexed strings).
KEY_FIELDS = {
    "models": ("id",),
    "datasets": ("id",),
    "pretrained_on": ("model", "dataset"),
    "similarities": ("a", "b", "probe"),
    "runs": ("run_id", "model", "dataset"),
    "scores": ("model", "dataset", "metric"),
}


def problems_in(records: Records) -> list[Problem]:
    """Every key and property of `records` that Neo4j would refuse. The loaders check each cell with
    its file and row; this is the backstop the write paths run, so nothing Neo4j refuses is sent."""
    problems: list[Problem] = []
    for entity, fields in KEY_FIELDS.items():
        for i, row in enumerate(records.rows(entity), start=1):
            where = f"{records.source} ({entity} record {i})"
            for f in fields:
                problem = key_problem(row.get(f), f)
                if problem:
                    problems.append(Problem(where, None, f, problem))
            modality = row.get("modality")
            if entity in ("models", "datasets") and modality is not None:
                problem = key_problem(modality, "modality")
                if problem:
                    problems.append(Problem(where, None, "modality", problem))
            for name, value in (row.get("props") or {}).items():
                problem = name_problem(name) or value_problem(value)
                if problem:
                    problems.append(Problem(where, None, str(name), problem))
    return problems


def check(records: Records) -> Records:
    """`records` unchanged, or InvalidInput naming everything Neo4j would refuse."""
    problems = problems_in(records)
    if problems:
        raise InvalidInput(problems)
    return records
