"""The loaders' fuzz test (tests/unit/test_fuzz_loaders.py) with a large example budget.

    .venv/bin/python benchmarks/fuzz_loaders.py [EXAMPLES]     # default 5000 per property

CI runs the same properties with 60 examples each (under a minute); this runs them long, pure
(no server), and prints the time taken. A failure prints hypothesis's minimal failing example.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "5000"
    env = {**os.environ, "FUZZ_EXAMPLES": examples}
    started = time.monotonic()
    test = REPO / "tests" / "unit" / "test_fuzz_loaders.py"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)], env=env
    )
    seconds = time.monotonic() - started
    print(f"fuzz_loaders: {examples} examples per property, {seconds:.0f} s, exit {proc.returncode}")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
