"""The one JSON reader (loaders/guarded_json.py): every hostile case is one Problem naming the file
and line, never a ValueError, RecursionError or OverflowError; numbers no float holds come back as
Decimal so an accuracy can be refused."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from transfergraph.errors import InvalidInput
from transfergraph.loaders import hf_models
from transfergraph.loaders.guarded_json import MAX_DEPTH, check_value, parse_json, read_json

CASES = [
    ("5,000-digit integer", "[" + "7" * 5000 + "]", "not JSON we can read: Exceeds the limit (4300 digits)"),
    ("100,000 brackets", "[" * 100_000 + "]" * 100_000, "not JSON we can read: nested too deeply"),
    ("just over the depth", "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "more than 512 levels"),
    ("NaN", '{"a": NaN}', "non-finite number NaN"),
    ("Infinity", '{"a": Infinity}', "non-finite number Infinity"),
    ("overflowing float", '{"a": -1e400}', "non-finite number -1e400"),
    ("syntax", '{"a": 1,}', "not JSON: Expecting property name enclosed in double quotes at character 9"),
    ("syntax on line 2", '{\n"a" 1}', "not JSON: Expecting ':' delimiter at line 2, character 5"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_json_is_one_problem_naming_the_file(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as e:
        parse_json(text, "f.json", 3)
    assert len(e.value.problems) == 1
    assert str(e.value.problems[0]).startswith("f.json:3: ") and expected in str(e.value.problems[0])


def test_the_deepest_accepted_nesting_parses() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH, "f.json") is not None


def test_data_lines_keep_non_finite_numbers_for_the_per_cell_checks() -> None:
    value = parse_json('{"a": NaN, "b": 1e400}', "f.jsonl", 1, finite=False)
    assert value["a"] != value["a"] and value["b"] == float("inf")


@pytest.mark.parametrize("finite", [True, False])
def test_a_number_no_float_holds_is_a_decimal(finite: bool) -> None:
    nines = "0." + "9" * 5000
    value = parse_json(
        f'{{"acc": {nines}, "repr": 0.30000000000000004, "long": 0.1000000000000000000}}', "f", finite=finite
    )
    assert value["acc"] == Decimal(nines)
    assert value["repr"] == 0.30000000000000004 and isinstance(value["repr"], float)
    assert value["long"] == 0.1 and isinstance(value["long"], float)  # trailing zeros: exact


def test_read_json_names_the_file_for_each_reason(tmp_path: Path) -> None:
    cases = {
        "missing.json": (None, "file not found"),
        "utf16.json": ('{"a": 1}'.encode("utf-16"), "is UTF-16 (little-endian) text"),
        "latin1.json": ('{"a": "é"}'.encode("latin-1"), "not UTF-8: byte 0xe9"),
        "empty.json": (b"", "file is empty"),
        "big.json": (json.dumps({"a": "x" * 100}).encode(), "bytes; we read JSON of at most 50"),
    }
    for name, (data, expected) in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(InvalidInput) as e:
            read_json(tmp_path / name, max_bytes=50)
        assert str(e.value).startswith(str(tmp_path / name)) and expected in str(e.value), (
            name,
            str(e.value),
        )
    with pytest.raises(InvalidInput, match="is a directory"):
        read_json(tmp_path)
    (tmp_path / "ok.json").write_bytes(b'\xef\xbb\xbf{"a": [1, 2.5]}')  # a UTF-8 byte-order mark is fine
    assert read_json(tmp_path / "ok.json") == {"a": [1, 2.5]}


def test_check_value_applies_the_same_rules_to_parsed_records() -> None:
    deep: list[object] = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(InvalidInput, match="hub: not JSON we can read: nested too deeply"):
        check_value({"config": deep}, "hub")
    with pytest.raises(InvalidInput, match="non-finite number nan"):
        check_value({"config": {"eps": [float("nan")]}}, "hub")
    assert check_value({"a": [1, 2.0, "x", None]}, "hub") == {"a": [1, 2.0, "x", None]}


def test_online_hub_records_are_checked_before_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tg ingest hf-models --search`: the Hub client parsed the JSON; each record is checked."""
    import huggingface_hub

    class Info:
        def __init__(self, id: str, config: dict[str, object]) -> None:
            self.id, self.config = id, config
            self.pipeline_tag = self.library_name = self.safetensors = self.card_data = None
            self.tags, self.downloads, self.likes = [], 0, 0

    class Api:
        def list_models(self, **_: object) -> list[Info]:
            return [Info("a", {"model_type": "vit"}), Info("b", {"eps": float("nan")})]

    monkeypatch.setattr(huggingface_hub, "HfApi", Api)
    with pytest.raises(InvalidInput) as e:
        hf_models.load_hub(None, None, 2, "image")
    assert [str(p) for p in e.value.problems] == [
        "huggingface.co (record 2): not JSON we can read: non-finite number nan"
    ]
