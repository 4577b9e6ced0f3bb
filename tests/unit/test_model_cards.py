"""Model cards -> runs (loaders/model_cards.py): each messy shape a real crawl holds, the line between
a refused machine-made file and a skipped person-written card, and a property test that no card
crashes the parser and every card and result is accounted for. No server, Hub offline."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transfergraph.errors import InvalidInput, ParameterError
from transfergraph.ingest.cards import rules as cli_rules
from transfergraph.loaders import model_cards as mc

RULES = mc.Rules()
TRAINER_TEXT = (
    "\n# x\n\nThis model is a fine-tuned version of "
    "[distilbert-base-uncased](https://huggingface.co/distilbert-base-uncased) on the emotion dataset.\n"
)


def result(
    dataset: Any = "emotion",
    value: Any = 0.9,
    *,
    task: Any = "text-classification",
    metric: Any = "accuracy",
    config: Any = None,
    split: Any = "validation",
    args: Any = None,
) -> dict[str, Any]:
    ds: dict[str, Any] = {"type": dataset, "name": str(dataset)}
    for key, v in (("config", config), ("split", split), ("args", args)):
        if v is not None:
            ds[key] = v
    return {"task": {"type": task}, "dataset": ds, "metrics": [{"type": metric, "value": value}]}


def card(*results: dict[str, Any], base: Any = "bert-base-uncased", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"model-index": [{"name": "m", "results": list(results)}], **extra}
    if base is not None:
        data["base_model"] = base
    return data


def parse(data: Any, text: str | None = None, rules: mc.Rules = RULES, model: str = "me/ft") -> mc.Outcome:
    return mc.parse(model, data, lambda: text, rules, where="test", last_modified="2024-05-01T00:00:00+00:00")


def test_a_result_is_a_run_of_the_base_model_with_what_judges_the_number() -> None:
    o = parse(card(result("emotion", 0.93)))
    assert o.skip is None and o.base == "bert-base-uncased" and o.base_from == "base_model"
    (run,) = o.runs
    assert (run.base, run.dataset, run.modality) == ("bert-base-uncased", "emotion", "text")
    assert run.props == {
        "accuracy": 0.93, "metric": "accuracy", "split": "validation", "task": "text-classification",
        "card": "me/ft", "card_modified": "2024-05-01T00:00:00+00:00", "peft": "full",
        "source": "model-cards",
    }  # fmt: skip
    assert run.run_id.startswith("hf-card:")


def test_the_run_id_is_the_model_and_the_results_dataset_config_split_and_metric() -> None:
    a = parse(card(result("emotion", 0.9))).runs[0].run_id
    assert parse(card(result("emotion", 0.7))).runs[0].run_id == a  # a changed value updates the run
    assert parse(card(result("emotion", 0.9), base="roberta-base")).runs[0].run_id == a
    assert parse(card(result("emotion", 0.9, split="test"))).runs[0].run_id != a
    assert parse(card(result("emotion", 0.9, config="split"))).runs[0].run_id != a
    assert parse(card(result("emotion", 0.9)), model="me/other").runs[0].run_id != a


@pytest.mark.parametrize(
    ("kind", "config", "args", "dataset"),
    [
        ("food101", "default", None, "food101"),
        ("glue", "sst2", None, "glue/sst2"),
        ("glue", None, "sst2", "glue/sst2"),  # older Trainer cards: the config in dataset.args
        ("imdb", "plain_text", None, "imdb"),
        ("mnist", "mnist", None, "mnist"),  # the config named as the dataset: its only one
        ("sasha/dog-food", "sasha--dog-food", None, "sasha/dog-food"),
        ("emotion", "split", None, "emotion/split"),
        ("oxford_flowers102", None, None, "flowers"),  # the paper zoo's names
        ("tweet_eval", "emotion", None, "tweet_eval/emotion"),
    ],
)
def test_dataset_ids_follow_the_zoos_naming(
    kind: str, config: str | None, args: str | None, dataset: str
) -> None:
    (run,) = parse(card(result(kind, 0.9, config=config, args=args))).runs
    assert run.dataset == dataset


@pytest.mark.parametrize("kind", ["imagefolder", "image_folder", "generator", "", None, "csv", 7])
def test_dataset_types_that_are_no_identity_are_skipped_by_reason(kind: Any) -> None:
    o = parse(card(result(kind, 0.9), result("beans", 0.8, task="image-classification")))
    assert [r.dataset for r in o.runs] == ["beans"]
    assert o.skipped[0][0] == "dataset type names no dataset"


def test_a_collection_without_its_config_is_skipped() -> None:
    o = parse(card(result("glue", 0.9)))
    assert o.runs == () and o.skip == "no usable result"
    assert o.skipped == (("dataset needs a config (a collection of tasks)", "'glue' config None"),)


@pytest.mark.parametrize(
    ("value", "stored", "notes"),
    [
        (0.921, 0.921, []),
        (1, 1.0, []),
        (0, 0.0, []),
        ("0.9", 0.9, []),
        (92.1, 0.921, ["percentage divided by 100"]),
        ("92.1%", 0.921, ["percentage divided by 100"]),
        ("0.88 ± 0.01", 0.88, ["uncertainty dropped (± ...)"]),
        ("88 +/- 1", 0.88, ["uncertainty dropped (± ...)", "percentage divided by 100"]),
        ("0,912", 0.912, ["decimal comma read as a point"]),
    ],
)
def test_metric_values_read_and_every_normalisation_counted(
    value: Any, stored: float, notes: list[str]
) -> None:
    o = parse(card(result("emotion", value)))
    (run,) = o.runs
    assert math.isclose(run.props["accuracy"], stored) and list(o.normalised) == notes
    assert ("reported" in run.props) == bool(notes)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "metric value is NaN"),
        ("NaN", "metric value is NaN"),
        (-0.1, "metric value is negative"),
        (101, "metric value is out of range (over 100)"),
        (float("inf"), "metric value is out of range (over 100)"),
        ("high", "metric value is not a number"),
        (True, "metric value is not a number"),
        (None, "metric value is not a number"),
        ([0.9], "metric value is not a number"),
        (10**400, "metric value is out of range (over 100)"),
    ],
)
def test_unusable_metric_values_are_skipped_by_reason(value: Any, reason: str) -> None:
    o = parse(card(result("emotion", value)))
    assert o.runs == () and o.skipped[0][0] == reason


def test_base_model_from_the_text_when_the_front_matter_has_none() -> None:
    o = parse(card(result("emotion", 0.9), base=None), text=TRAINER_TEXT)
    assert (o.base, o.base_from, o.runs[0].base) == (
        "distilbert-base-uncased",
        "text",
        "distilbert-base-uncased",
    )
    linked = "a fine-tuned version of [bert](https://huggingface.co/google/bert_uncased_L-2_H-128_A-2/) on x"
    assert mc.base_from_text(linked) == ("google/bert_uncased_L-2_H-128_A-2", None)
    assert mc.base_from_text("fine-tuned version of [org/model](../x) on y") == ("org/model", None)
    assert mc.base_from_text("fine-tuned version of [None](https://huggingface.co/None) on y")[0] is None
    assert mc.base_from_text("no such sentence") == (None, None)


def test_a_card_without_base_model_is_skipped_and_its_results_counted() -> None:
    o = parse(card(result("emotion", 0.9), result("imagefolder", 0.9), base=None), text="# nothing here")
    assert o.skip == "no base model (front matter or text)" and o.runs == ()
    assert [r for r, _ in o.skipped] == [
        "dataset type names no dataset", "card skipped: no base model (front matter or text)",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("base", "reason"),
    [
        ("me/ft", "base model is the model itself"),
        (["a/one", "b/two"], "several base models (a merge)"),
        ({"id": "x"}, "base_model is dict, not a model id"),
        ("x" * 9000, "base model id cannot be stored"),
    ],
)
def test_unusable_base_models(base: Any, reason: str) -> None:
    assert parse(card(result("emotion", 0.9), base=base)).skip == reason


def test_a_list_of_one_base_model_is_that_model() -> None:
    assert parse(card(result("emotion", 0.9), base=["org/base"])).base == "org/base"


def test_several_results_unknown_tasks_other_metrics_and_repeats() -> None:
    o = parse(
        card(
            result("emotion", 0.9),
            result("emotion", 0.8, split="test"),
            result("emotion", 0.95),  # the same dataset, config, split and metric again
            result("emotion", 0.7, metric="f1"),
            result("wmt16", 0.3, task="translation"),
            result("beans", 0.97, task="Image Classification"),
        )
    )
    assert [(r.dataset, r.props["split"], r.modality) for r in o.runs] == [
        ("emotion", "validation", "text"), ("emotion", "test", "text"), ("beans", "validation", "image"),
    ]  # fmt: skip
    assert [r for r, _ in o.skipped] == [
        "repeated result (same dataset, config, split and metric)",
        "metric is not accuracy",
        "task is not image or text classification",
    ]
    assert o.results == 6


def test_metric_and_modality_rules() -> None:
    data = card(
        result("emotion", 0.9),
        result("emotion", 0.7, metric="F1"),
        result("beans", 0.9, task="image-classification"),
    )
    assert len(parse(data, rules=mc.Rules(("accuracy", "f1"))).runs) == 3
    only_image = parse(data, rules=mc.Rules(modality="image"))
    assert [r.dataset for r in only_image.runs] == ["beans"]
    assert "task's modality is not image" in [r for r, _ in only_image.skipped]
    with pytest.raises(ParameterError, match="modality"):
        cli_rules(["accuracy"], "audio", None)
    with pytest.raises(ParameterError, match="since"):
        cli_rules(["accuracy"], None, "last tuesday")
    with pytest.raises(ParameterError, match="metric"):
        cli_rules([" "], None, None)


def test_malformed_model_index_results_are_skipped_one_by_one() -> None:
    data = card(result("emotion", 0.9))
    data["model-index"][0]["results"] += [{"task": {"type": "text-classification"}}, "text", {"dataset": 1}]
    o = parse(data)
    assert len(o.runs) == 1 and o.results == 4
    assert [d for _, d in o.skipped] == [
        "model-index result has no 'dataset'", "model-index result is malformed (TypeError)",
        "model-index result has no 'task'",
    ]  # fmt: skip
    assert parse({"model-index": "text"}).skip == "no usable result"
    assert parse({"model-index": [{"name": "x"}]}).skipped[0][1] == "model-index result has no 'results'"


def test_card_level_reasons() -> None:
    assert parse(None).skip == "no front matter"
    assert parse({"license": "mit"}).skip == "no model-index results"
    assert parse({"model-index": []}).skip == "no model-index results"
    odd_keys = {**card(result()), "__class__": 1, "self": 2, "ignore_metadata_errors": 3, 4: 5}
    assert len(parse(odd_keys).runs) == 1  # keys ModelCardData would not take as arguments
    late = mc.Rules(since=datetime(2025, 1, 1, tzinfo=UTC))
    assert parse(card(result()), rules=late).skip == "not modified since the cutoff"
    old_broken = mc.parse(
        "a/b", None, lambda: None, late, where="t", last_modified="2024-01-01", parse_error="x"
    )
    assert old_broken.skip == "not modified since the cutoff"  # an old card is not judged again


def test_front_matter_split_as_huggingface_hub_reads_it() -> None:
    data, text, error = mc.split_card("---\nbase_model: a/b\n---\n# text\n")
    assert (data, text, error) == ({"base_model": "a/b"}, "# text\n", None)
    assert mc.split_card("# only text\n") == (None, "# only text\n", None)
    assert (
        mc.split_card("---\nkey:\tvalue: [\n---\ntext")[2]
        == "front matter does not parse (YAML: ScannerError)"
    )
    assert mc.split_card("---\n- a\n- b\n---\ntext")[2] == "front matter is not a mapping"


def test_results_agree_with_huggingface_hubs_model_card() -> None:
    """Per result, the loader reads what `ModelCard` reads for a card whose model-index parses."""
    from huggingface_hub import ModelCard

    data = card(result("glue", "0.9", config="sst2"), result("beans", 91.0, task="image-classification"))
    content = f"---\n{yaml.safe_dump(data)}---\n{TRAINER_TEXT}"
    expected = ModelCard(content).data.eval_results
    split, _, _ = mc.split_card(content)
    assert split is not None
    assert list(mc._results("me/ft", split["model-index"])) == expected


# --- files: folders and JSONL -------------------------------------------------------------------------


def write_card(root: Path, model: str, data: dict[str, Any] | None, text: str = TRAINER_TEXT) -> None:
    path = root / model / "README.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    front = "" if data is None else f"---\n{yaml.safe_dump(data)}---\n"
    path.write_text(front + text, encoding="utf-8")


def test_a_folder_of_cards_is_read_as_owner_name(tmp_path: Path) -> None:
    write_card(tmp_path, "a/one", card(result("emotion", 0.9), base=None))
    write_card(tmp_path, "a/two", None)
    (tmp_path / "b" / "bad").mkdir(parents=True)
    (tmp_path / "b" / "bad" / "README.md").write_bytes(b"---\nx: \xff\n---\n")
    (tmp_path / "README.md").write_text("about this folder")  # not a card: no OWNER/NAME
    records, tally = mc.load(folders=[tmp_path])
    assert (tally.cards, tally.with_runs, dict(tally.cards_skipped)) == (
        3, 1, {"no front matter": 1, "card is not UTF-8 text": 1},
    )  # fmt: skip
    assert [(r["model"], r["dataset"]) for r in records.runs] == [("distilbert-base-uncased", "emotion")]
    assert records.lineage == [
        {"model": "a/one", "base": "distilbert-base-uncased", "props": {"source": "model-cards"}}
    ]
    assert tally.balanced()
    with pytest.raises(InvalidInput, match="holds no card"):
        mc.load(folders=[tmp_path / "a" / "one"])


def jsonl(path: Path, *records: Any) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_jsonl_hub_records(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "hub.jsonl",
        {"id": "a/ft", "card_data": card(result("emotion", 0.9)), "lastModified": "2024-03-01T10:00:00.000Z"},
        {"id": "a/nocard", "card_data": None},
        {"id": "a/text", "card_data": card(result("emotion", 0.8), base=None), "card_text": TRAINER_TEXT},
        {"id": "a/ft", "card_data": card(result("imdb", 0.9))},  # a crawl's duplicate: first kept
    )
    records, tally = mc.load(files=[path])
    assert [(r["model"], r["props"]["card"]) for r in records.runs] == [
        ("bert-base-uncased", "a/ft"), ("distilbert-base-uncased", "a/text"),
    ]  # fmt: skip
    assert dict(tally.cards_skipped) == {"no front matter": 1, "repeated model id": 1}
    assert tally.last_modified == "2024-03-01T10:00:00.000Z" and tally.balanced()
    records, tally = mc.load(files=[path], rules=mc.Rules(since=datetime(2024, 3, 2, tzinfo=UTC)))
    assert tally.cards_skipped["not modified since the cutoff"] == 1  # undated cards are read


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "hub.jsonl:2: not JSON"),
        ('["a"]', "hub.jsonl:2: expected a JSON object, got list"),
        ('{"card_data": {}}', "hub.jsonl:2: column 'id': missing model id"),
        ('{"id": 5}', "hub.jsonl:2: column 'id': expected a string model id"),
        ('{"id": "x", "card_data": [1]}', "hub.jsonl:2: column 'card_data': expected an object, got list"),
        ('{"id": "x", "card_text": 3}', "hub.jsonl:2: column 'card_text': expected text"),
        ('{"id": "x", "lastModified": "soon"}', "hub.jsonl:2: column 'lastModified': last-modified 'soon'"),
    ],
)
def test_a_machine_made_file_that_is_not_what_it_claims_is_refused_whole(
    tmp_path: Path, line: str, message: str
) -> None:
    path = jsonl(tmp_path / "hub.jsonl", {"id": "a/ft", "card_data": card(result())}, line)
    with pytest.raises(InvalidInput) as e:
        mc.load(files=[path])
    (problem,) = e.value.problems
    assert str(problem).startswith(f"{tmp_path}/{message}")


def test_the_report_lists_every_skipped_card_and_result(tmp_path: Path) -> None:
    write_card(tmp_path / "cards", "a/one", card(result("emotion", 0.9), result("imagefolder", 0.9)))
    write_card(tmp_path / "cards", "a/two", {"license": "mit"})
    mc.load(folders=[tmp_path / "cards"], report=tmp_path / "report.tsv")
    lines = (tmp_path / "report.tsv").read_text().splitlines()
    assert lines[0] == "where\tmodel\tlevel\treason\tdetail"
    assert [line.split("\t")[1:4] for line in lines[1:]] == [
        ["a/one", "result", "dataset type names no dataset"], ["a/two", "card", "no model-index results"],
    ]  # fmt: skip
    bad = jsonl(tmp_path / "bad.jsonl", "{not json")
    with pytest.raises(InvalidInput):
        mc.load(files=[bad], folders=[tmp_path / "cards"], report=tmp_path / "refused.tsv")
    assert list(tmp_path.glob("refused.tsv*")) == []  # a refused load leaves no report


# --- property: no card crashes the parser, every card and result is accounted for ----------------------

leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["accuracy", "text-classification", "image-classification", "glue", "imagefolder",
                     "92.1%", "0.88 ± 0.01", "0,9", "default", "NaN"]),
)  # fmt: skip
values = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
datasets = st.fixed_dictionaries(
    {"type": values, "name": values}, optional={"config": values, "split": values, "args": values}
)
metric_lists = st.lists(st.fixed_dictionaries({"type": values, "value": values}), max_size=3)
result_shapes = st.fixed_dictionaries(
    {
        "task": st.one_of(values, st.fixed_dictionaries({"type": values})),
        "dataset": st.one_of(values, datasets),
        "metrics": st.one_of(values, metric_lists),
    }
)
entries = st.fixed_dictionaries({"name": values, "results": st.lists(result_shapes, max_size=3)})
odd = {"base_model": values, "self": values, "eval_results": values, "__class__": values, 4: values}
front_matters = st.one_of(
    values,
    st.fixed_dictionaries({"model-index": st.one_of(values, st.lists(entries, max_size=2))}, optional=odd),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=front_matters, text=st.one_of(st.none(), st.text(max_size=40), st.just(TRAINER_TEXT)))
def test_no_card_crashes_the_parser_and_every_card_and_result_is_counted(data: Any, text: str | None) -> None:
    o = parse(data if isinstance(data, dict) else None, text)
    assert (o.skip is None) == bool(o.runs)
    assert o.results == len(o.runs) + len(o.skipped)
    for run in o.runs:
        assert 0.0 <= run.props["accuracy"] <= 1.0 and run.modality in ("image", "text")
    records, tally = mc.collect([o])
    assert tally.balanced() and len(records.runs) == len(o.runs)


@settings(max_examples=60, deadline=None)
@given(content=st.text(max_size=200))
def test_no_readme_text_crashes_the_split(content: str) -> None:
    data, _, error = mc.split_card("---\n" + content)
    assert (data is None) or isinstance(data, dict)
    assert error is None or error.startswith("front matter")


def test_bulk_plans_and_writes_the_lineage_edges(tmp_path: Path) -> None:
    """`--bulk` imports FINETUNED_FROM as it imports every raw relationship (the server side of it:
    benchmarks/cards_bench.py, which count-checks the import)."""
    from transfergraph.ingest.bulk import plan, write_csv

    write_card(tmp_path / "cards", "a/one", card(result("emotion", 0.9), base=None))
    write_card(tmp_path / "cards", "a/two", card(result("imdb", 0.8)))
    records, _ = mc.load(folders=[tmp_path / "cards"])
    p = plan(records)
    assert p.counts()["lineage"] == 2 and p.counts()["runs"] == 2 and p.counts()["models"] == 4
    layout = write_csv(p, tmp_path / "import")
    (lineage,) = [g for g in layout.relationships if g[1].name.startswith("lineage")]
    assert lineage[0].read_text().startswith(":START_ID(Model),:END_ID(Model),:TYPE")
    assert sorted(lineage[1].read_text().splitlines()) == [
        '"a/one","distilbert-base-uncased",FINETUNED_FROM,"model-cards"',
        '"a/two","bert-base-uncased",FINETUNED_FROM,"model-cards"',
    ]
