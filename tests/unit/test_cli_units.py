"""Pure logic of the command line, no server needed."""

from __future__ import annotations

import pytest

from transfergraph.api import parse_param
from transfergraph.errors import TGError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n=5", ("n", 5)),
        ("x=1.5", ("x", 1.5)),
        ("flag=true", ("flag", True)),
        ("ids=[1,2]", ("ids", [1, 2])),
        ('s="5"', ("s", "5")),
        ("name=google/vit-base", ("name", "google/vit-base")),
        ("q=a=b", ("q", "a=b")),
        ("empty=", ("empty", "")),
    ],
)
def test_param_values_are_json_or_text(text: str, expected: tuple[str, object]) -> None:
    assert parse_param(text) == expected


@pytest.mark.parametrize("text", ["novalue", "bad key=1", "=1", "1x=2"])
def test_malformed_params_are_rejected(text: str) -> None:
    with pytest.raises(TGError):
        parse_param(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n=" + "7" * 5000, "Exceeds the limit (4300 digits)"),
        ("n=" + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_param_python_cannot_parse_is_one_line(text: str, expected: str) -> None:
    """--param values go through the loaders' guarded JSON reader (these were tracebacks)."""
    with pytest.raises(TGError) as e:
        parse_param(text)
    assert str(e.value).startswith("--param n: not JSON we can read") and expected in str(e.value)


def test_a_long_number_param_is_the_nearest_float() -> None:
    assert parse_param("x=0.1000000000000000000001") == ("x", 0.1)


def test_generated_passwords_never_look_like_an_option() -> None:
    """neo4j-admin reads a password starting with '-' as an option and fails the first start."""
    from transfergraph.server.process import new_password

    drawn = {new_password() for _ in range(2000)}  # token_urlsafe led with '-' about 31 times in 2000
    assert len(drawn) == 2000
    assert all(len(p) >= 32 and p.isalnum() and not p.startswith("-") for p in drawn)
