"""One output helper for every command: `--format table|json|csv`."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.table import Table
from rich.text import Text

from transfergraph.choices import Format

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["Format", "emit", "emit_record", "minute", "progress"]


def _plain(value: Any) -> Any:
    """Neo4j values (nodes, temporal types, ...) as JSON-friendly Python."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if hasattr(value, "items") and hasattr(value, "element_id"):  # Node / Relationship
        return dict(value.items())
    return value


def minute(value: Any) -> str | None:
    """A timestamp as a person scans it in a table: `YYYY-MM-DD HH:MM` (json/csv keep it whole)."""
    if value is None:
        return None
    text = value.iso_format() if hasattr(value, "iso_format") else str(value)
    return text[:16].replace("T", " ")


def emit(
    rows: list[dict[str, Any]],
    fmt: Format,
    title: str | None = None,
    columns: dict[str, str] | None = None,
    *,
    ids: Collection[str] = (),
    secondary: Sequence[str] = (),
    wide: bool = False,
) -> None:
    """Rows as a table, JSON or CSV. `columns` ({key: header}) picks what a table shows a person
    (its key column first); JSON and CSV always carry every key.

    A table fits the terminal's width (see `_fit`): the `ids` columns (what a person copies: model
    and dataset ids, view and method names) are never wrapped, the others wrap between words, never
    inside one; when that is not enough the `secondary` columns give way, the last listed first, with
    a line under the table that says so. `wide` keeps every column at its full width, however wide
    the table gets. An id (or word) too long for any table in the terminal is printed whole: its
    column goes last, in a table without a box, so only its own lines run over."""
    rows = [_plain(r) for r in rows]
    if fmt is Format.json:
        json.dump(rows, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    keys = list(dict.fromkeys(k for r in rows for k in r))
    if fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
        return
    shown = columns or {k: k for k in keys}
    cells = {k: ["" if r.get(k) is None else str(r.get(k)) for r in rows] for k in shown}
    console = Console()
    widths, edge = _fit(shown, cells, set(ids), secondary, console.width, wide)
    justify: dict[str, JustifyMethod] = {}
    for key in widths:
        values = [r.get(key) for r in rows if r.get(key) is not None]
        numeric = bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        justify[key] = "right" if numeric else "left"
    width = _table_width(widths.values(), edge)
    if width <= console.width or wide:
        table = Table(title=title, show_edge=edge, pad_edge=edge)
        _fill(table, shown, cells, widths, set(ids), justify)
        Console(width=max(console.width, width)).print(table)
    else:  # a value too long for any table here: no box, its column last, so only its lines run over
        order = sorted(widths, key=lambda k: widths[k] == max(widths.values()))
        table = Table(title=title, box=None, pad_edge=False, title_justify="left")
        _fill(table, shown, cells, {k: widths[k] for k in order}, set(ids), justify)
        text = io.StringIO()
        Console(width=width, file=text).print(table)
        print("\n".join(line.rstrip() for line in text.getvalue().splitlines()))
    hidden = [shown[k] for k in shown if k not in widths]
    if hidden:
        plural = "s" if len(hidden) > 1 else ""
        console.print(Text(f"{len(hidden)} column{plural} hidden ({', '.join(hidden)}): --wide shows them"))


def _fill(
    table: Table,
    shown: dict[str, str],
    cells: dict[str, list[str]],
    widths: dict[str, int],
    ids: set[str],
    justify: dict[str, JustifyMethod],
) -> None:
    for key, width in widths.items():
        table.add_column(shown[key], width=width, no_wrap=key in ids, overflow="fold", justify=justify[key])
    for i in range(len(next(iter(cells.values()), []))):
        table.add_row(*(Text(cells[k][i]) for k in widths))


def _table_width(widths: Iterable[int], edge: bool = True) -> int:
    """Characters a table with these column widths takes: two spaces of padding around each column
    and a border between two; with `edge`, a border and a space at either end too."""
    return sum(w + 3 for w in widths) + (1 if edge else -3)


def _longest_word(texts: Iterable[str]) -> int:
    return max((cell_len(word) for text in texts for word in text.split()), default=0)


def _fit(
    shown: dict[str, str],
    cells: dict[str, list[str]],
    ids: set[str],
    secondary: Sequence[str],
    width: int,
    wide: bool,
) -> tuple[dict[str, int], bool]:
    """Each shown column's width ({key: width}, hidden ones left out) and whether the table has its
    outer edge. Every column at full width when that fits or `wide`. Else ids keep their width, the
    other columns wrap down to their longest word, and while even that is too wide the secondary
    columns are dropped, the last listed first; then the outer edge goes (4 characters). What
    still does not fit, emit prints without a box."""
    full = {k: max(cell_len(line) for text in [shown[k], *cells[k]] for line in text.splitlines() or [""])
            for k in shown}  # fmt: skip
    least = {k: max(_longest_word([shown[k], *cells[k]]), 1) for k in shown}
    for k in ids & set(shown):
        least[k] = max([least[k], *(cell_len(line) for text in cells[k] for line in text.splitlines())])
    if wide or _table_width(full.values()) <= width:
        return full, True
    for edge in (True, False):
        widths = dict(full)
        for key in reversed(secondary):
            if _table_width((least[k] for k in widths), edge) <= width:
                break
            widths.pop(key, None)
        excess = _table_width(widths.values(), edge) - width
        while excess > 0:  # narrow the widest column that can still wrap, one character at a time
            widest = max((k for k in widths if widths[k] > least[k]), key=lambda k: widths[k], default=None)
            if widest is None:
                break
            widths[widest] -= 1
            excess -= 1
        if excess <= 0:
            break
    return widths, edge


def emit_record(record: dict[str, Any], fmt: Format) -> None:
    """A single object: JSON object, or a two-column key/value table."""
    if fmt is Format.json:
        json.dump(_plain(record), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        emit([{"key": k, "value": v} for k, v in record.items()], fmt, ids=("key",))


def progress(eta: bool = False) -> Progress:
    """The progress bar of long commands: on stderr, gone when done, off when stderr is not a terminal;
    `eta`: with the time left. (rich.progress is imported here: `tg recommend` prints no bar.)"""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        *([TimeRemainingColumn()] if eta else []),
        console=Console(stderr=True),
        transient=True,
        disable=not sys.stderr.isatty(),
    )
