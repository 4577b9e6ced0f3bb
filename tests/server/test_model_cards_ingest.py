"""`tg ingest model-cards` into the real server, Hub offline: a folder of card files and a JSONL of
Hub records load with exact counts, every skipped card counted by reason, lineage edges written; a
re-run writes nothing; a refused file writes nothing; the real crawl's folder loads in one command
and its account covers every card (the parser's shapes: tests/unit/test_model_cards.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import neo4j
import pytest
import yaml

from support import HUB_CARDS, cli

pytestmark = pytest.mark.server

TEXT = "\nThis model is a fine-tuned version of [google/vit-base](https://huggingface.co/google/vit-base).\n"


def result(dataset: str, value: Any, task: str = "image-classification", **ds: Any) -> dict[str, Any]:
    return {
        "task": {"type": task},
        "dataset": {"type": dataset, "name": dataset, "split": "test", **ds},
        "metrics": [{"type": "accuracy", "value": value}, {"type": "f1", "value": 0.5}],
    }


def index(*results: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "x", "results": list(results)}]


def write_cards(root: Path) -> None:
    cards: dict[str, str] = {
        # base model from the text; two runs (and two f1 results not chosen)
        "alice/vit-food": yaml.safe_dump({"model-index": index(result("food101", 0.9, config="default"),
                                                               result("beans", "95.5%"))}),
        # base model in the front matter; one usable result, one on an image folder
        "bob/bert-sst2": yaml.safe_dump({"base_model": "bert-base-uncased", "model-index": index(
            result("glue", 0.91, task="text-classification", args="sst2"), result("imagefolder", 0.8))}),
        "carol/broken": "key:\tvalue: [\n",  # front matter that does not parse
        "dave/self": yaml.safe_dump({"base_model": "dave/self",
                                     "model-index": index(result("cifar10", 0.7))}),
    }  # fmt: skip
    for model, front in cards.items():
        path = root / model / "README.md"
        path.parent.mkdir(parents=True)
        path.write_text(f"---\n{front}---\n{TEXT}", encoding="utf-8")
    (root / "erin" / "notes").mkdir(parents=True)
    (root / "erin" / "notes" / "README.md").write_text("# no front matter\n")


def write_records(path: Path) -> None:
    records = [
        {"id": "frank/roberta-emotion", "lastModified": "2024-06-01T00:00:00.000Z",
         "card_data": {"base_model": "roberta-base",
                       "model-index": index(result("emotion", 0.93, task="text-classification"))}},
        {"id": "grace/nothing", "card_data": None},
        {"id": "heidi/nan", "card_data": {"base_model": "roberta-base",
                                          "model-index": index(result("emotion", float("nan")))}},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def ingest(*args: str) -> dict[str, Any]:
    proc = cli("ingest", "model-cards", *args, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def account(out: dict[str, Any]) -> dict[str, int]:
    return {f"{r['level']}: {r['outcome']}": r["count"] for r in out["account"]}


def entities(out: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {r["entity"]: (r["rows"], r["created"], r["updated"], r["unchanged"]) for r in out["entities"]}


def test_cards_and_records_ingest_with_exact_counts_and_a_rerun_writes_nothing(
    wiped: neo4j.Driver, tmp_path: Path
) -> None:
    write_cards(tmp_path / "cards")
    write_records(tmp_path / "hub.jsonl")
    report = tmp_path / "skipped.tsv"
    out = ingest(str(tmp_path / "cards"), str(tmp_path / "hub.jsonl"), "--report", str(report))
    assert account(out) == {
        "cards: read": 8,
        "cards: gave runs": 3,
        "cards: skipped: no front matter": 2,
        "cards: skipped: base model is the model itself": 1,
        "cards: skipped: front matter does not parse (YAML: ScannerError)": 1,
        "cards: skipped: no usable result": 1,
        "results: read": 14,
        "results: became runs": 4,
        "results: skipped: metric is not accuracy": 7,
        "results: skipped: card skipped: base model is the model itself": 1,
        "results: skipped: dataset type names no dataset": 1,
        "results: skipped: metric value is NaN": 1,
        "runs: normalised: config read from dataset.args": 1,
        "runs: normalised: percentage divided by 100": 1,
        "cards: base model from text": 1,
        "cards: base model from base_model": 2,
    }
    assert entities(out) == {
        "datasets": (4, 4, 0, 0), "models": (6, 6, 0, 0), "pretrained_on": (0, 0, 0, 0),
        "similarities": (0, 0, 0, 0), "runs": (4, 4, 0, 0), "scores": (0, 0, 0, 0), "lineage": (3, 3, 0, 0),
    }  # fmt: skip
    assert len(report.read_text().splitlines()) == 1 + 5 + 10  # header, skipped cards, skipped results
    runs, _, _ = wiped.execute_query(
        "MATCH (b:Model)-[r:FINETUNED_ON]->(d:Dataset) "
        "RETURN b.id AS base, d.id AS dataset, r.accuracy AS acc, r.card AS card, r.split AS split, "
        "r.metric AS metric ORDER BY card, dataset"
    )
    assert [tuple(r.values()) for r in runs] == [
        ("google/vit-base", "beans", 0.955, "alice/vit-food", "test", "accuracy"),
        ("google/vit-base", "food101", 0.9, "alice/vit-food", "test", "accuracy"),
        ("bert-base-uncased", "glue/sst2", 0.91, "bob/bert-sst2", "test", "accuracy"),
        ("roberta-base", "emotion", 0.93, "frank/roberta-emotion", "test", "accuracy"),
    ]
    lineage, _, _ = wiped.execute_query(
        "MATCH (m:Model)-[:FINETUNED_FROM]->(b:Model) RETURN m.id AS model, b.id AS base ORDER BY model"
    )
    assert [tuple(r.values()) for r in lineage] == [
        ("alice/vit-food", "google/vit-base"), ("bob/bert-sst2", "bert-base-uncased"),
        ("frank/roberta-emotion", "roberta-base"),
    ]  # fmt: skip
    again = ingest(str(tmp_path / "cards"), str(tmp_path / "hub.jsonl"))
    assert all(created == updated == 0 for _, created, updated, _ in entities(again).values())
    assert account(again) == account(out)
    # the same cards a third time: their content is as last ingested, so nothing is read or written
    third = cli("ingest", "model-cards", str(tmp_path / "cards"), str(tmp_path / "hub.jsonl"), "-f", "json")
    assert third.returncode == 0 and json.loads(third.stdout)[0]["status"] == "unchanged", third.stderr
    (tmp_path / "cards" / "alice" / "vit-food" / "README.md").touch()  # same content: still unchanged
    assert json.loads(cli("ingest", "model-cards", str(tmp_path / "cards"), str(tmp_path / "hub.jsonl"),
                          "-f", "json").stdout)[0]["status"] == "unchanged"  # fmt: skip
    full = ingest(str(tmp_path / "cards"), str(tmp_path / "hub.jsonl"), "--full")
    assert account(full) == account(out)


def test_a_refused_file_writes_nothing(wiped: neo4j.Driver, tmp_path: Path) -> None:
    write_cards(tmp_path / "cards")
    bad = tmp_path / "hub.jsonl"
    bad.write_text('{"id": "a/b", "card_data": {}}\n{"card_data": {}}\n')
    proc = cli("ingest", "model-cards", str(tmp_path / "cards"), str(bad))
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == f"error: {bad}:2: column 'id': missing model id"
    nodes, _, _ = wiped.execute_query("MATCH (n) RETURN count(n) AS n")
    assert nodes[0]["n"] == 0


def test_the_real_crawl_loads_in_one_command_and_every_card_is_accounted_for(wiped: neo4j.Driver) -> None:
    if not (HUB_CARDS / "README.md").exists():
        pytest.skip(f"the real model cards are not at {HUB_CARDS}: set TG_HUB_CARDS_PATH")
    out = ingest(str(HUB_CARDS))
    counts = account(out)
    skipped = sum(n for k, n in counts.items() if k.startswith("cards: skipped:"))
    assert counts["cards: read"] == 7143 == counts["cards: gave runs"] + skipped
    results_skipped = sum(n for k, n in counts.items() if k.startswith("results: skipped:"))
    assert counts["results: read"] == counts["results: became runs"] + results_skipped
    # the counts docs/model-cards.md gives
    assert (counts["cards: gave runs"], counts["results: became runs"]) == (201, 206)
    assert counts["cards: skipped: front matter does not parse (YAML: ScannerError)"] == 4
    assert counts["results: skipped: dataset type names no dataset"] == 46
    assert entities(out)["runs"] == (206, 206, 0, 0) and entities(out)["lineage"] == (201, 201, 0, 0)
