"""The Neo4j Browser in a real headless Chromium: log in through its connect form, run Cypher there.

It drives the Browser through `run_query` of benchmarks/browser_screenshot.py, the script that
makes docs/browser.png, so the test and the screenshot cannot drift apart.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

import pytest

from transfergraph import server
from transfergraph.config import Settings

from support import REPO

pytestmark = pytest.mark.server


def _browser_screenshot() -> ModuleType:
    path = REPO / "benchmarks" / "browser_screenshot.py"
    spec = importlib.util.spec_from_file_location("browser_screenshot", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_login_and_query_in_the_browser_show_the_gds_version(settings: Settings, tmp_path: Path) -> None:
    if settings.browser_url is None:
        pytest.skip("external server: no Browser of ours to drive")
    bs = _browser_screenshot()
    missing = None
    try:
        bs.require_chromium()
    except bs.BrowserError as e:
        missing = str(e)
    if missing:  # CI installs it (.ci/run): a missing browser is a failure, not a skip
        pytest.fail(missing, pytrace=False)
    password = server.password(settings)
    assert password, "no password for the test server: start it with `make test-server-start`"
    png = tmp_path / "browser.png"

    started = time.monotonic()
    text = bs.run_query(
        settings.browser_url,
        settings.bolt_uri,
        settings.username,
        password,
        "RETURN gds.version() AS gds",
        screenshot=png,
    )
    elapsed = time.monotonic() - started

    assert f'"{server.pinned_versions()["gds"]}"' in text, text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert elapsed < 60, f"the Browser round trip took {elapsed:.0f}s"
