"""`tg graph build` refuses bad settings with one line and exit 2 before it connects (the autouse
`no_database` fixture fails a test that tries), so no view can have changed. The one refusal that
needs the graph (`--target` naming no dataset) is in tests/server/test_graph.py."""

from __future__ import annotations

import pytest

from transfergraph.errors import TGError
from transfergraph.graph import BuildSettings

from support import cli, one_line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threshold", "bogus=1"], "expected NAME=VALUE with NAME one of accuracy_pos"),
        (["--threshold", "accuracy_pos=1.5"], "accuracy_pos must be within [0, 1]"),
        (["--threshold", "similarity=-0.1"], "similarity must be within [0, 1]"),
        (["--threshold", "accuracy_pos=high"], "'high' is not a number"),
        (["--threshold", "accuracy_neg=0.8"], "accuracy_neg must not exceed accuracy_pos"),
    ],
)
def test_bad_settings_are_refused_with_one_line(args: list[str], message: str) -> None:
    proc = cli("graph", "build", *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stdout == ""


def test_unknown_runs_regime_is_a_usage_error_naming_the_choices() -> None:
    """--runs is a choice: Typer refuses an unknown one (exit 2) and lists the allowed values."""
    proc = cli("graph", "build", "--runs", "some")
    assert proc.returncode == 2
    message = one_line(proc.stderr)
    assert "--runs" in message and "'some'" in message, message
    assert all(f"'{c}'" in message for c in ("full", "lora", "all")), message
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_build_settings_refuse_an_unknown_regime_for_library_callers() -> None:
    with pytest.raises(TGError, match=r"^runs: 'some': expected one of full, lora, all$"):
        BuildSettings(runs="some")  # type: ignore[arg-type]
    with pytest.raises(TGError, match=r"^aggregate: 'median': expected one of mean, max, none$"):
        BuildSettings(aggregate="median")  # type: ignore[arg-type]
    assert BuildSettings(runs="lora").params()["runs"] == "lora"  # type: ignore[arg-type]
