"""One output helper for every command: `--format table|json|csv`."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from transfergraph.choices import Format

__all__ = ["Format", "emit", "emit_record"]


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


def emit(rows: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    rows = [_plain(r) for r in rows]
    if fmt is Format.json:
        json.dump(rows, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if fmt is Format.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in columns))
    Console().print(table)


def emit_record(record: dict[str, Any], fmt: Format) -> None:
    """A single object: JSON object, or a two-column key/value table."""
    if fmt is Format.json:
        json.dump(_plain(record), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        emit([{"key": k, "value": v} for k, v in record.items()], fmt)
