"""Every table a person reads fits the terminal and never folds an id: model and dataset ids, view and
method names stay whole on one line (the values a person copies); other columns wrap between words,
secondary ones give way when the terminal is narrow, and `--wide` shows them all."""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from transfergraph.choices import Format
from transfergraph.cli.commandline import PIPELINE, build, prose_help
from transfergraph.cli.embed import EMBED_COLUMNS, _table_rows
from transfergraph.cli.evaluate import (
    PAIRED_COLUMNS,
    SHOTS_COLUMNS,
    SUMMARY_COLUMNS,
    paired_rows,
    shots_rows,
    summary_rows,
)
from transfergraph.cli.graph import BUILD_COLUMNS, VIEW_COLUMNS, stats_rows
from transfergraph.graph import PAPER_STATS, STAT_COUNTS
from transfergraph.output import emit, emit_record

from support import cli

# The longest real ids of the paper's zoo (TG_ZOO_PATH): its longest dataset,
# its longest image model and a text model longer still; views and methods as long as they get.
LONG_TARGET = "diabetic_retinopathy_detection"
LONG_VIEW = f"without:{LONG_TARGET}"
LONG_METHOD = "xgb-rank+node2vec-weighted/concat"
IMAGE_MODEL = "Annabelleabbott/swin-tiny-patch4-window7-224-finetuned-eurosat"
TEXT_MODEL = "SetFit/distilbert-base-uncased__hate_speech_offensive__train-16-1"
# 90 characters: wider than what an 80-column table can give a column
LONGEST_MODEL = "ali2066/DistilBERTFINAL_ctxSentence_TRAIN_editorials_TEST_NULL_second_train_set_null_False"
LONG_PATH = "~/.local/share/transfergraph/neo4j/data/databases/a/long/path/beyond/eighty/columns"
CLI = Path(__file__).resolve().parents[2] / "transfergraph" / "cli"


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
        {"name": "without:tweet_eval/offensive", "target": "tweet_eval/offensive", "modality": "text",
         "edges": 2215, "built": "2026-11-30 10:16"},
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
    return _table_rows([row, {**row, "view": "all", "method": "graphsage"}], Format.table)


def evaluate_rows() -> list[dict[str, Any]]:
    summary = [
        {"method": m, "kind": "method", "pearson_plain": 0.8521, "pearson_weighted": 0.8023,
         "pearson_std": 0.0012, "weighted_kendall_weighted": 0.575, "top1_regret_mean": 11.16,
         "top3_regret_mean": 3.08, "ndcg5_mean": 0.983, "n_targets": 13}
        for m in ("best-source-accuracy", LONG_METHOD)
    ]  # fmt: skip
    return summary_rows({"summary": summary, "paper": {"method": "xgb_homoGATConv", "pearson_plain": 0.856,
                                                       "pearson_weighted": 0.839}})  # fmt: skip


def paired_table_rows() -> list[dict[str, Any]]:
    comparisons = [
        {"method": m, "metric": metric, "n_targets": 13, "mean": -1.234, "low": -2.5, "high": -0.125,
         "better": True, "worse": False}
        for m in ("best-source-accuracy", LONG_METHOD) for metric in ("top3_regret", "top1_regret", "ndcg5")
    ]  # fmt: skip
    return paired_rows({"comparisons": comparisons})


def shots_table_rows() -> list[dict[str, Any]]:
    summary = [
        {"method": m, "shots": 3, "variant": v, "pearson_plain": 0.61, "pearson_weighted": 0.58,
         "top1_regret_mean": 4.25, "ndcg5_mean": 0.912, "gain_pearson_plain": 0.012,
         "gain_pearson_weighted": -0.004}
        for m in (LONG_METHOD, "logme-profile-history") for v in ("zero-shot", "few-shot")
    ]  # fmt: skip
    return shots_rows({"summary": summary}, 3)


def recommend_rows() -> list[dict[str, Any]]:
    """As `tg recommend` shows the untried models (its table rows, built in the command)."""
    models = ("facebook/convnext-xlarge-224-22k", IMAGE_MODEL, TEXT_MODEL)
    return [
        {"rank": i, "model": m, "score": "0.912", "type": "convnext", "params": "350M",
         "evidence": f"{LONG_TARGET} sim 0.93 acc 0.91"}
        for i, m in enumerate(models, start=1)
    ]  # fmt: skip


def predict_rows() -> list[dict[str, Any]]:
    return [
        {"view": LONG_VIEW, "method": LONG_METHOD, "modality": m, "predicted": 23936, "replaced": 23936,
         "missing_features": "logme, reg_h_score", "few_shot": 0}
        for m in ("image", "text")
    ]  # fmt: skip


def score_rows() -> list[dict[str, Any]]:
    return [
        {"model": TEXT_MODEL, "metric": "logme, reg-h-score", "score": None, "seconds": 0.0,
         "status": "already scored"},
        {"model": IMAGE_MODEL, "metric": "logme", "score": -0.7312, "seconds": 3.21, "status": "written"},
    ]  # fmt: skip


@dataclass(frozen=True)
class Shown:
    """A command's table: its rows and how the command calls emit (module: transfergraph/cli/...)."""

    module: str
    rows: Callable[[], list[dict[str, Any]]]
    columns: dict[str, str] | None = None
    ids: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()


TABLES = {
    "recommend": Shown("recommend", recommend_rows, None, ("model",), ("type", "params", "evidence")),
    "predict": Shown("predict", predict_rows, None, ("view", "method"),
                     ("predicted", "modality", "replaced", "missing_features", "few_shot")),
    "evaluate summary": Shown("evaluate", evaluate_rows, SUMMARY_COLUMNS, ("method",),
                              ("top-1 regret", "ndcg@5", "pearson (weighted)", "targets", "kind")),
    "evaluate paired": Shown("evaluate", paired_table_rows, PAIRED_COLUMNS, ("method",),
                             ("targets", "ndcg@5", "top-1 regret")),
    "evaluate shots": Shown("evaluate", shots_table_rows, SHOTS_COLUMNS, ("method",),
                            ("top-1 regret", "ndcg@5")),
    "graph build": Shown("graph", build_rows, BUILD_COLUMNS, ("view",),
                         ("accuracy_edge", "similarity_edge", "transfer_edge", "pretrained_edge")),
    "graph views": Shown("graph", view_rows, VIEW_COLUMNS, ("name", "target"),
                         ("modality", "edges", "built", "target")),
    "graph stats": Shown("graph", stats_table_rows, None, ("property",)),
    "embed list": Shown("embed", embed_rows, EMBED_COLUMNS, ("view", "method"),
                        ("modality", "auc", "nodes", "created", "dim")),
    "score": Shown("score", score_rows, None, ("model",), ("metric", "status", "seconds")),
    "ingest summary": Shown("ingest", ingest_rows),
}  # fmt: skip
ROLES = ("ids", "secondary")
HIDDEN = re.compile(r"^(\d+) columns? hidden \((.*)\): --wide shows them$")


def render(
    shown: Shown,
    width: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    wide: bool = False,
) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    emit(shown.rows(), Format.table, title="a title", columns=shown.columns, ids=shown.ids,
         secondary=shown.secondary, wide=wide)  # fmt: skip
    return capsys.readouterr().out


def headers(shown: Shown) -> dict[str, str]:
    return shown.columns or {k: k for k in dict.fromkeys(k for r in shown.rows() for k in r)}


def hidden_headers(out: str) -> list[str]:
    """The columns the line under the table names (it may wrap, between words)."""
    lines = out.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"\d+ columns? hidden", line)]
    assert len(starts) <= 1, out
    if not starts:
        return []
    note = HIDDEN.match(" ".join(line.strip() for line in lines[starts[0] :]))
    assert note, out
    return note.group(2).split(", ")


def column_text(out: str, count: int, border: str = "│") -> list[str]:
    """Each column's cells (or with border ┃, headers) read top to bottom, wrapped lines joined; with
    or without the table's outer edge."""
    text = ["" for _ in range(count)]
    for line in out.splitlines():
        cells = line.split(border)
        if line.startswith(border):
            cells = cells[1:-1]
        if len(cells) == count:
            for i, cell in enumerate(cells):
                text[i] += "".join(cell.split())
    return text


def test_every_table_is_marked_as_its_command_calls_emit() -> None:
    """The roles above are the commands' own: each (ids, secondary) is a literal of an emit call there."""
    for name, shown in TABLES.items():
        calls = set()
        for node in ast.walk(ast.parse((CLI / f"{shown.module}.py").read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "emit":
                kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg in ROLES}
                calls.add((tuple(kw.get("ids", ())), tuple(kw.get("secondary", ()))))
        assert (shown.ids, shown.secondary) in calls, (name, calls)


@pytest.mark.parametrize("width", [60, 80, 120])
@pytest.mark.parametrize("name", list(TABLES))
def test_no_id_is_folded(
    name: str, width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = TABLES[name]
    out = render(shown, width, monkeypatch, capsys)
    lines = out.splitlines()
    assert "…" not in out, out
    hidden = hidden_headers(out)
    for row in shown.rows():
        for key in shown.ids:
            if row.get(key) not in (None, "") and headers(shown)[key] not in hidden:
                assert any(str(row[key]) in line for line in lines), (key, row[key], out)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", list(TABLES))
def test_table_fits_and_shows_every_value_whole(
    name: str, width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 80 columns and more every table fits (its ids do); what it hides is secondary and said once;
    every value it shows is there whole (wrapped between words at most), the key column first."""
    shown = TABLES[name]
    out = render(shown, width, monkeypatch, capsys)
    assert max(len(line) for line in out.splitlines()) <= width, out
    hidden = hidden_headers(out)
    assert {k for k, h in headers(shown).items() if h in hidden} <= set(shown.secondary), out
    visible = [k for k, h in headers(shown).items() if h not in hidden]
    shown_headers = [headers(shown)[k] for k in visible]
    assert column_text(out, len(visible), "┃") == ["".join(h.split()) for h in shown_headers], out
    text = column_text(out, len(visible))
    for row in shown.rows():
        for i, key in enumerate(visible):
            if row.get(key) not in (None, ""):
                assert "".join(str(row[key]).split()) in text[i], (key, out)


def test_a_narrow_terminal_hides_secondary_columns_and_wide_shows_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = TABLES["recommend"]
    narrow = render(shown, 80, monkeypatch, capsys)
    assert hidden_headers(narrow) == ["type", "params", "evidence"], narrow
    assert "3 columns hidden (type, params, evidence): --wide shows them" in narrow
    full = render(shown, 80, monkeypatch, capsys, wide=True)
    assert hidden_headers(full) == [] and "hidden" not in full, full
    assert column_text(full, len(headers(shown)), "┃") == list(headers(shown)), full
    assert any(f"{LONG_TARGET} sim 0.93 acc 0.91" in line for line in full.splitlines()), full
    # the last listed secondary column gives way first: at 120, only the evidence does
    assert hidden_headers(render(shown, 120, monkeypatch, capsys)) == ["evidence"]


def test_an_id_longer_than_the_terminal_runs_over_alone(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No table can hold a 90-character id in 80 columns: it is printed whole, its column last and
    without a box, so that only its own line is longer than the terminal."""
    monkeypatch.setenv("COLUMNS", "80")
    models = (LONGEST_MODEL, IMAGE_MODEL, "bert")
    rows = [{**row, "model": model} for row, model in zip(recommend_rows(), models, strict=True)]
    emit(rows, Format.table, title="a title", ids=("model",), secondary=("type", "params", "evidence"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["rank", "score", "model"], lines
    assert lines[2].endswith(f"  {LONGEST_MODEL}") and lines[3].endswith(f"  {IMAGE_MODEL}"), lines
    assert [line for line in lines if len(line) > 80] == [lines[2]], lines
    assert hidden_headers("\n".join(lines)) == ["type", "params", "evidence"]


def test_no_rows_is_an_empty_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    emit([], Format.table, columns=VIEW_COLUMNS, ids=("name", "target"), secondary=("built",))
    assert column_text(capsys.readouterr().out, len(VIEW_COLUMNS), "┃") == list(VIEW_COLUMNS.values())


def test_json_and_csv_ignore_the_table_layout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    shown = TABLES["graph views"]
    for fmt in (Format.json, Format.csv):
        emit(shown.rows(), fmt, columns=shown.columns)
        plain = capsys.readouterr().out
        emit(shown.rows(), fmt, columns=shown.columns, ids=shown.ids, secondary=shown.secondary, wide=True)
        assert capsys.readouterr().out == plain
    emit(view_rows(), Format.json, columns=VIEW_COLUMNS, ids=("name",), secondary=("built",))
    assert json.loads(capsys.readouterr().out) == view_rows()


def test_status_record_fits(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    record = {"running": True, "bolt_uri": "bolt://127.0.0.1:7687", "browser_url": "http://127.0.0.1:7474/browser/",
              "data_dir": "~/.local/share/transfergraph/neo4j/data"}  # fmt: skip
    note = "a value in words wraps between them inside the box, " * 3
    emit_record({**record, "note": note}, Format.table)
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80 and "┃ key" in out, out
    assert all(any(str(v) in line for line in out.splitlines()) for v in record.values()), out
    assert column_text(out, 2)[1].endswith("".join(note.split())), out


@pytest.mark.parametrize("value", [TEXT_MODEL, LONG_PATH])
def test_a_record_value_too_long_for_a_box_prints_as_lines(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tg model add`, `tg db status`: a long id or path stays whole on its line, not folded in a box."""
    monkeypatch.setenv("COLUMNS", "80")
    emit_record({"pretrained_on": "imagenet-21k", "value": value, "modality": "text"}, Format.table)
    out = capsys.readouterr().out
    assert f"value          {value}" in out.splitlines() and "┃" not in out, out


# -- help: commands in pipeline order, docstrings as prose, one example a line ----------------------


def command_paths(group: Any = None, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of `tg`, as the words that name it."""
    group = group or typer.main.get_command(build())
    paths = [path]
    for name, command in getattr(group, "commands", {}).items():
        paths += command_paths(command, (*path, name))
    return paths


def help_text(*path: str) -> str:
    proc = cli(*path, "--help", env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_tg_help_lists_commands_in_pipeline_order() -> None:
    listed = help_text().split("Commands:\n")[1]
    names = [line.split()[0] for line in listed.splitlines() if line.startswith("  ") and line[2] != " "]
    assert names == ["db", "ingest", "sync", "graph", "embed", "predict", "recommend", "evaluate", "dataset",
                     "model", "score"]  # fmt: skip
    assert names == list(PIPELINE) and "..." not in listed  # click cuts what it lists at ~45 characters


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "tg")
def test_help_wraps_as_prose_in_80_columns(path: tuple[str, ...]) -> None:
    """No line is wider than 80 and no sentence breaks early: every line of a paragraph but its last is
    as full as the next word allows (a docstring's own line breaks would leave short lines)."""
    text = help_text(*path)
    assert max(len(line) for line in text.splitlines()) <= 80, text
    description = text.split("\n\n", 1)[1].split("\nOptions:")[0].split("\nArguments:")[0]
    for paragraph in description.split("\n\n"):
        lines = paragraph.splitlines()
        if lines[0].strip().startswith(("tg ", "TG_")) or lines[0].strip() == "Commands:":
            continue  # an example block, one a line; a command list
        for line, following in itertools.pairwise(lines):
            assert len(line) + 1 + len(following.split()[0]) > 78, (line, text)


def test_examples_show_one_example_a_line() -> None:
    lines = [line.strip() for line in help_text("recommend").splitlines()]
    for example in ("tg recommend --dataset cifar100", "tg recommend -d my_reviews --next 3",
                    "tg recommend -d glue/sst2 --top 5 --include-tried --explain --format json"):  # fmt: skip
        assert example in lines
    long = " ".join(["--long-option"] * 5)
    doc = f"Why.\n\nExamples: tg a --x; TG_PORT=1 tg b\n(a note); tg c {long} (a long note)"
    assert prose_help(doc).split("\n\n\b\n")[1].splitlines() == [
        "tg a --x",
        "TG_PORT=1 tg b (a note)",
        f"tg c {long}",
        "    (a long note)",
    ]
