"""The installed `tg` entry point and `python -m transfergraph` as real processes: exit codes and the
one-line errors of `transfergraph.cli.main`. Everything else runs in-process (`support.cli`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TG = Path(sys.executable).parent / "tg"


def process(*cmd: str) -> subprocess.CompletedProcess[str]:
    # the unit conftest points TG_SERVER_DIR / TG_BOLT_PORT away from any server; pass them on
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), timeout=120)


@pytest.fixture
def tg() -> str:
    if not TG.exists():
        pytest.fail(f"no installed entry point at {TG}: pip install -e .")
    return str(TG)


def test_a_library_error_is_one_line_and_exit_2(tg: str) -> None:
    proc = process(tg, "graph", "build", "--threshold", "accuracy_pos=1.5")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "error: --threshold 'accuracy_pos=1.5': accuracy_pos must be within [0, 1]\n"


def test_server_down_is_one_line_and_exit_1(tg: str) -> None:
    proc = process(tg, "db", "status")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "not running" in proc.stderr and "Traceback" not in proc.stderr


def test_a_usage_error_is_exit_2_through_python_m() -> None:
    proc = process(sys.executable, "-m", "transfergraph", "graph", "build", "--runs", "some")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Usage: python -m transfergraph graph build" in proc.stderr and "Traceback" not in proc.stderr


def test_debug_shows_the_traceback_before_the_line(tg: str) -> None:
    proc = subprocess.run([tg, "graph", "build", "--threshold", "bogus=1"], capture_output=True, text=True,
                          env={**os.environ, "TG_DEBUG": "1"}, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and proc.stderr.splitlines()[-1].startswith("error: --threshold")
