"""Error lines cut a long argument they echo to 200 characters (transfergraph.cli.cut_echoes, the
one place every error line passes), and a view name has the ids' byte limit. No server: both are
refused before any connection."""

from __future__ import annotations

from pathlib import Path

from transfergraph.errors import ECHO_LIMIT, cut_echoes
from transfergraph.loaders.storable import MAX_KEY_BYTES

from support import cli, one_line

LONG = "x" * 10_000


def test_an_echoed_argument_is_cut_as_typed_escaped_or_after_an_equals_sign() -> None:
    quoted = "a'\n" * 100  # repr escapes it: the echo is the escaped text
    args = ["--view", LONG, f"--name={'n' * 300}", quoted, "short"]
    message = f"--view {LONG!r}: bad; name {'n' * 300}; {quoted!r}; short"
    cut = cut_echoes(message, args)
    assert f"'{'x' * ECHO_LIMIT}... (10000 characters)': bad" in cut
    assert f"name {'n' * ECHO_LIMIT}... (300 characters);" in cut
    assert '(300 characters)"' in cut and "short" in cut and len(cut) < 1000
    assert cut_echoes("nothing echoed", args) == "nothing echoed"


def test_a_usage_error_cuts_the_value_it_echoes() -> None:
    out = cli("graph", "build", "--runs", LONG)
    assert out.returncode == 2
    text = one_line(out.stderr)
    assert "... (10000 characters)" in text and "is not one of" in text and LONG not in out.stderr


def test_a_view_name_over_the_id_limit_is_one_short_line() -> None:
    for name, size in ((LONG, 10_000), ("é" * (MAX_KEY_BYTES // 2 + 1), MAX_KEY_BYTES + 2)):
        out = cli("graph", "build", "--view", name)
        assert out.returncode == 2
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and f"view name is {size} bytes of UTF-8" in lines[0], lines
        assert len(lines[0]) < 400
    out = cli("graph", "build", "--target", "t" * MAX_KEY_BYTES)  # 'without:' makes it too long
    assert out.returncode == 2 and f"view name is {MAX_KEY_BYTES + 8} bytes" in out.stderr


def test_an_ingest_problem_line_cuts_the_argument_it_echoes(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("model,dataset,acc\nm,d,0.5\n")
    out = cli("ingest", "runs", str(path), "--modality", "image", "--model-col", LONG, "--dataset-col",
              "dataset", "--accuracy-col", "acc", "--dry-run")  # fmt: skip
    assert out.returncode == 2
    first = out.stderr.splitlines()[0]
    assert "column 'xxxx" in first and "... (10000 characters)': required column is missing" in first
    assert len(first) < 500
