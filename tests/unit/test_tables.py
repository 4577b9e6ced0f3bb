"""Every table a person reads fits an 80-column terminal: key column first, nothing cut to an ellipsis."""

from __future__ import annotations

from typing import Any

import pytest

from transfergraph.choices import Format
from transfergraph.cli.graph import BUILD_COLUMNS, VIEW_COLUMNS, stats_rows
from transfergraph.output import emit, emit_record
from transfergraph.prune import PAPER_STATS, STAT_COUNTS

LONG_TARGET = "smallnorb_label_elevation"
LONG_VIEW = f"without:{LONG_TARGET}"


def build_rows() -> list[dict[str, Any]]:
    return [
        {"view": LONG_VIEW, "target": LONG_TARGET, "accuracy_edge": 2060, "pretrained_edge": 96,
         "transfer_edge": 1173, "similarity_edge": 2345},
        {"view": "all", "target": None, "accuracy_edge": 3693, "pretrained_edge": 128,
         "transfer_edge": 0, "similarity_edge": 2597},
    ]  # fmt: skip


def view_rows() -> list[dict[str, Any]]:
    return [
        {"name": LONG_VIEW, "target": LONG_TARGET, "modality": "image", "edges": 4501,
         "built": "2026-11-30 10:15", "accuracy_pos": 0.5, "accuracy_neg": 0.5, "transfer_pos": 0.5,
         "transfer_neg": 0.5, "similarity": 0.0, "runs": "full", "aggregate": "mean", "pretrained": True,
         "logme": False, "metric": "LogME"},
    ]  # fmt: skip


def stats_table_rows() -> list[dict[str, Any]]:
    per_modality = [
        {"modality": m, "view": "all", **dict.fromkeys(STAT_COUNTS, 12345), "paper": PAPER_STATS[m]}
        for m in ("image", "text")
    ]
    return stats_rows(per_modality)


def ingest_rows() -> list[dict[str, Any]]:
    names = ("datasets", "models", "pretrained_on", "similarities", "runs", "scores")
    return [
        {"entity": e, "rows": 1_000_000, "created": 999_999, "updated": 1, "unchanged": 0, "skipped": 12}
        for e in names
    ]


TABLES = {
    "graph build": (build_rows, BUILD_COLUMNS),
    "graph views": (view_rows, VIEW_COLUMNS),
    "graph stats": (stats_table_rows, None),
    "ingest summary": (ingest_rows, None),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_table_fits_80_columns_without_cutting(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    make_rows, columns = TABLES[name]
    rows = make_rows()
    emit(rows, Format.table, title=name, columns=columns)
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "…" not in out, out
    # the key column leads, and every value a person scans for is there, whole (maybe folded)
    header = next(line for line in out.splitlines() if "┃" in line)
    first_key = next(iter(columns)) if columns else next(iter(rows[0]))
    assert header.split("┃")[1].strip() == (columns or {first_key: first_key})[first_key]
    shown = list(columns or dict.fromkeys(k for r in rows for k in r))
    column_text = ["" for _ in shown]  # each column's cells read top to bottom, folds joined
    for line in out.splitlines():
        if line.count("│") == len(shown) + 1:
            for i, cell in enumerate(line.split("│")[1:-1]):
                column_text[i] += "".join(cell.split())
    for row in rows:
        for i, key in enumerate(shown):
            if row.get(key) not in (None, ""):
                assert "".join(str(row[key]).split()) in column_text[i], (key, out)


def test_json_keeps_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    rows = view_rows()
    emit(rows, Format.json, columns=VIEW_COLUMNS)
    assert '"accuracy_pos": 0.5' in capsys.readouterr().out


def test_status_record_fits(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    emit_record(
        {"running": True, "bolt_uri": "bolt://127.0.0.1:7687", "browser_url": "http://127.0.0.1:7474/browser/",
         "data_dir": "/root/.local/share/transfergraph/neo4j/data/with/a/long/path/beyond/eighty/columns/x"},
        Format.table,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80 and "…" not in out, out
