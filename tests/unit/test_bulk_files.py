"""The `--bulk` path's CSV files for neo4j-admin import, written without a server (the import itself is
tests/server/test_bulk.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from transfergraph.ingest import bulk
from transfergraph.loaders.records import Records


def test_csv_files_merge_like_merge_and_split_mixed_types(tmp_path: Path) -> None:
    """No server: duplicate MERGE keys merge in order, a column of mixed types gets one header per
    type, a file holding a newline is passed as multi-line, and fields parse back verbatim."""
    rec = Records(source="t")
    for m in ("a", 'b,"c"\n'):
        rec.model(m, "image", tags=["x;y", 'q"'], n=3)
    rec.dataset("d", None)
    rec.pretrained_on += [
        {"model": "a", "dataset": "d", "props": {"accuracy": 0.1}},
        {"model": "a", "dataset": "d", "props": {"accuracy": 0.2}},  # same pair: updated
        {"model": "a", "dataset": "d", "props": {"accuracy": 0.2}},  # again: unchanged
    ]
    rec.runs += [
        {"run_id": "r1", "model": "a", "dataset": "d", "props": {"lr": 0.1}},
        {"run_id": "r2", "model": 'b,"c"\n', "dataset": "d", "props": {"lr": "auto"}},
        {"run_id": "r1", "model": 'b,"c"\n', "dataset": "d", "props": {"lr": 0.1}},  # run_id is unique
    ]
    p = bulk.plan(rec)
    assert (p.summary["pretrained_on"].created, p.summary["pretrained_on"].updated) == (1, 1)
    assert p.summary["pretrained_on"].unchanged == 1 and p.rels["pretrained_on"][0][3] == {"accuracy": 0.2}
    assert (p.summary["runs"].created, p.summary["runs"].unchanged) == (2, 1)
    assert [r[:3] for r in p.rels["runs"]] == [("a", "d", "r1"), ('b,"c"\n', "d", "r2")]
    layout = bulk.write_csv(p, tmp_path)
    headers = sorted(group[0].read_text() for group in layout.relationships if "runs" in group[0].name)
    assert headers == [
        ":START_ID(Model),:END_ID(Dataset),:TYPE,run_id:string,lr:double\n",
        ":START_ID(Model),:END_ID(Dataset),:TYPE,run_id:string,lr:string\n",
    ]
    models_csv = next(g[1] for g in layout.nodes if g[1].name.startswith("models"))
    assert models_csv in layout.multiline
    with open(models_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = models_csv.with_name(models_csv.stem + ".header.csv").read_text()
    assert header == "id:ID(Model),:LABEL,tags:string[],n:long,modality:string\n"
    assert rows == [
        ["a", "Model", 'x;y\x1fq"', "3", "image"],
        ['b,"c"\n', "Model", 'x;y\x1fq"', "3", "image"],
    ]
