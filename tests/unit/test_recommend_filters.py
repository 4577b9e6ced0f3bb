"""`tg recommend`'s filters: parsing and validation (a bad value is a ParameterError naming the
parameter, or the flag on the command line, before any connection), the glob to regex translation,
and the one line that says what the filters filtered out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from transfergraph import TransferGraph
from transfergraph.cli.recommend import parse_count, parse_size
from transfergraph.errors import ParameterError
from transfergraph.readback.filters import ModelFilter, describe, glob_regex

from support import cli


@pytest.mark.parametrize(
    ("text", "expected"),
    [("100000000", 10**8), ("1e8", 10**8), ("100M", 10**8), ("100m", 10**8), ("1.5B", 1_500_000_000),
     ("350k", 350_000), (" 7b ", 7 * 10**9), ("86.4M", 86_400_000)],
)  # fmt: skip
def test_parameter_counts_as_typed(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2000000000", 2 * 10**9), ("2GB", 2 * 10**9), ("2g", 2 * 10**9), ("1.5GiB", 3 * 2**29),
     ("512MiB", 512 * 2**20), ("512MB", 512 * 10**6)],
)  # fmt: skip
def test_memory_sizes_as_typed(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "-1", "abc", "10 parsecs", "1e400", "0", "0.5", "1,000", "nan"])
def test_a_bad_count_names_the_parameter(text: str) -> None:
    with pytest.raises(ParameterError) as e:
        parse_count(text)
    assert e.value.parameter == "max_params"
    with pytest.raises(ParameterError) as e:
        parse_size(text)
    assert e.value.parameter == "max_memory"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"max_params": -1}, "max_params"),
        ({"max_params": 0}, "max_params"),
        ({"max_params": "100M"}, "max_params"),
        ({"max_params": 1.5}, "max_params"),
        ({"max_params": True}, "max_params"),
        ({"max_memory": -5}, "max_memory"),
        ({"max_memory": "2GB"}, "max_memory"),
        ({"model_type": [""]}, "model_type"),
        ({"model_type": [3]}, "model_type"),
        ({"architecture": 5}, "architecture"),
        ({"license": ["  "]}, "license"),
        ({"exclude": [None]}, "exclude"),
    ],
)
def test_bad_filter_values_name_their_parameter(kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ParameterError) as e:
        ModelFilter(**kwargs)
    assert e.value.parameter == parameter and str(e.value).startswith(f"{parameter}: ")


def test_good_filter_values_are_normalised() -> None:
    f = ModelFilter(max_params=1e8, model_type="ViT", architecture=["A", "A", "B"], exclude=("x*",))  # type: ignore[arg-type]
    assert f.max_params == 10**8 and f.model_type == ("ViT",) and f.architecture == ("A", "B")
    assert f.active and not ModelFilter().active
    assert f.to_dict() == {"max_params": 10**8, "model_type": ["ViT"], "architecture": ["A", "B"],
                           "exclude": ["x*"]}  # fmt: skip
    params = f.params()
    assert params["model_types"] == ["vit"] and params["licenses"] is None and params["max_memory"] is None
    assert ModelFilter().params()["exclude"] == []


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("google/*", ["google/vit-base", "Google/ViT"], ["xgoogle/vit", "googlevit"]),
        ("*bert*", ["bert-base", "distilbert/x", "RoBERTa"], ["vit"]),
        ("a?c", ["abc", "a.c"], ["ac", "abbc"]),
        ("a.c", ["a.c"], ["abc"]),  # a dot is a dot
        ("x[1]+(y)|z", ["x[1]+(y)|z"], ["x1y", "z"]),
        ("münchen/*", ["münchen/bert"], ["munchen/bert"]),
        ("back\\slash", ["back\\slash"], ["backslash"]),
    ],
)
def test_globs_match_the_whole_id(pattern: str, matches: list[str], misses: list[str]) -> None:
    """The regex is Java's (Cypher `=~`); the constructs used here mean the same in Python's `re`,
    except \\x{...} which Python writes \\U: translated for the check."""
    regex = glob_regex(pattern)
    python = re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: re.escape(chr(int(m.group(1), 16))), regex)
    for text in matches:
        assert re.fullmatch(python, text), (pattern, text)
    for text in misses:
        assert not re.fullmatch(python, text), (pattern, text)


def _counts(**over: int) -> dict[str, int]:
    keys = ("over_params", "no_params", "over_memory", "no_memory", "other_model_type", "no_model_type",
            "other_architecture", "no_architecture", "other_license", "no_license", "excluded")  # fmt: skip
    return {"candidates": 100, "kept": 40, "top_k": 100, **dict.fromkeys(keys, 0), **over}


def test_the_filtered_line_names_count_and_reasons() -> None:
    line = describe(_counts(over_params=55, no_params=5), ModelFilter(max_params=10**8))
    assert line == (
        "filtered out 60 of the 100 ranked models (55 over 100M parameters, 5 without a parameter count; "
        "a model may fail several)"
    )
    one = describe(_counts(kept=97, excluded=3), ModelFilter(exclude=["google/*"]))
    assert one == "filtered out 3 of the 100 ranked models (3 matching --exclude)"
    none = describe(_counts(kept=0, no_license=100), ModelFilter(license=["mit"]))
    assert none.startswith("no model satisfies the filters: all 100 ranked models were filtered out")
    assert "100 with no license known" in none and "\n" not in none


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"max_params": -1}, "max_params"), ({"max_params": "100M"}, "max_params"),
     ({"max_memory": 0}, "max_memory"), ({"model_type": [""]}, "model_type"), ({"exclude": 3}, "exclude"),
     ({"tried_offset": -1}, "tried_offset"), ({"tried_limit": 0}, "tried_limit"),
     ({"list_tried": "yes"}, "list_tried")],
)  # fmt: skip
def test_the_facade_names_the_parameter_before_connecting(
    kwargs: dict[str, Any], parameter: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("TG_SERVER_DIR", str(tmp_path / "never-started"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(ParameterError) as e:
        TransferGraph().recommendation("cifar100", **kwargs)
    assert e.value.parameter == parameter


def test_bad_flags_fail_in_one_line_before_connecting() -> None:
    """The unit conftest refuses any connection: these fail on the value, naming the flag."""
    for args, flag in [
        (("--max-params", "-1"), "--max-params"),
        (("--max-params", "lots"), "--max-params"),
        (("--max-memory", "2 parsecs"), "--max-memory"),
        (("--model-type", " "), "--model-type"),
    ]:
        out = cli("recommend", "--dataset", "cifar100", *args)
        assert out.returncode == 2, out
        assert out.stderr.startswith(f"error: {flag} ") and out.stderr.count("\n") == 1, out.stderr
    paging = cli("recommend", "--dataset", "cifar100", "--list-tried", "--limit", "0")
    assert paging.returncode == 2 and "--limit" in paging.stderr


def test_hub_records_name_their_licences() -> None:
    """What `--license` reads: the card's licence (a name or a list), then `license:` tags, each once."""
    from transfergraph.errors import InvalidInput
    from transfergraph.loaders import hf_models

    rows = [
        (1, {"id": "a", "card_data": {"license": "MIT"}, "tags": ["license:MIT", "license:apache-2.0", "x"]}),
        (2, {"id": "b", "card_data": {"license": ["mit", " ", "bsd"]}}),
        (3, {"id": "c", "tags": ["license:", "dataset:d"]}),
    ]
    rec = hf_models.records_from(rows, "m.jsonl", None)
    assert [rec.models[m]["props"].get("licenses") for m in "abc"] == [
        ["MIT", "apache-2.0"],
        ["mit", "bsd"],
        None,
    ]
    with pytest.raises(InvalidInput) as e:
        hf_models.records_from([(4, {"id": "d", "card_data": {"license": 3}})], "m.jsonl", None)
    assert str(e.value.problems[0]).startswith("m.jsonl") and "card_data.license" in str(e.value.problems[0])
