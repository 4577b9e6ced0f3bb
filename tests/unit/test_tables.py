"""Every table a person reads fits an 80-column terminal: key column first, nothing cut to an ellipsis."""

from __future__ import annotations

from typing import Any

import pytest

from transfergraph.choices import Format
from transfergraph.cli.embed import EMBED_COLUMNS, _table_rows
from transfergraph.cli.evaluate import SUMMARY_COLUMNS, summary_rows
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


def embed_rows() -> list[dict[str, Any]]:
    row = {
        "view": LONG_VIEW,
        "method": "node2vec-weighted",
        "modality": "image",
        "nodes": 253,
        "dim": 128,
        "seed": 0,
        "seconds": 2.4,
        "created_at": "2026-11-30T10:37:39.264000000+00:00",
        "auc": 0.97884,
    }
    return _table_rows([row], Format.table)  # fmt: skip


def evaluate_rows() -> list[dict[str, Any]]:
    summary = [
        {"method": m, "kind": "method", "pearson_plain": 0.8521, "pearson_weighted": 0.8023,
         "pearson_std": 0.0012, "weighted_kendall_weighted": 0.575, "top1_regret_mean": 11.16,
         "ndcg5_mean": 0.983}
        for m in ("best-source-accuracy", "xgb+node2vec-weighted/concat")
    ]  # fmt: skip
    return summary_rows({"summary": summary, "paper": {"method": "xgb_homoGATConv", "pearson_plain": 0.856,
                                                       "pearson_weighted": 0.839}})  # fmt: skip


TABLES = {
    "graph build": (build_rows, BUILD_COLUMNS),
    "graph views": (view_rows, VIEW_COLUMNS),
    "graph stats": (stats_table_rows, None),
    "ingest summary": (ingest_rows, None),
    "embed list": (embed_rows, EMBED_COLUMNS),
    "evaluate summary": (evaluate_rows, SUMMARY_COLUMNS),
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
