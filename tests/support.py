"""Helpers shared by the tests (conftest holds the fixtures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ZOO = Path(os.environ.get("TG_ZOO_PATH") or REPO.parent / "shared" / "data" / "transfergraph-zoo")


def tg(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `tg` command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "transfergraph", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=stdin,
        timeout=900,
    )


# Ids that break string-built Cypher or naive CSV: stored verbatim or the test fails.
HOSTILE = [
    'it\'s "quoted"',
    "back`tick`) DETACH DELETE n //",
    "{braces: 1}",
    "multi\nline\r\nid",
    "$param, comma; semi",
    "ünïcödé/模型",
    " leading and trailing ",
    'back\\slash \\"',
    '"',
]
