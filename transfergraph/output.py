"""One output helper for every command: `--format table|json|csv`."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from transfergraph.choices import Format

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
    rows: list[dict[str, Any]], fmt: Format, title: str | None = None, columns: dict[str, str] | None = None
) -> None:
    """Rows as a table, JSON or CSV. `columns` ({key: header}) picks what a table shows a person
    (its key column first); JSON and CSV always carry every key."""
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
    table = Table(title=title, show_lines=False)
    for key, header in shown.items():
        values = [r.get(key) for r in rows if r.get(key) is not None]
        numeric = bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        # fold, never cut: a long id wraps onto a second line instead of ending in an ellipsis
        table.add_column(header, overflow="fold", justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*("" if r.get(k) is None else str(r.get(k)) for k in shown))
    Console().print(table)


def emit_record(record: dict[str, Any], fmt: Format) -> None:
    """A single object: JSON object, or a two-column key/value table."""
    if fmt is Format.json:
        json.dump(_plain(record), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        emit([{"key": k, "value": v} for k, v in record.items()], fmt)


def progress(eta: bool = False) -> Progress:
    """The progress bar of long commands: on stderr, gone when done, off when stderr is not a terminal;
    `eta`: with the time left."""
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
