"""The Neo4j Browser in a real headless Chromium: log in through its connect form, run Cypher there.

It drives the Browser through `tests/browser.py (run_query)`, which the screenshot tool
(tests/screenshots.py, making docs/browser.png and docs/explore.png) uses too, so the
tests and the screenshots cannot drift apart.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from types import ModuleType

import neo4j
import pytest

from transfergraph import server
from transfergraph.config import Settings

import browser
from support import REPO, cli

pytestmark = pytest.mark.server


@pytest.fixture
def bs(settings: Settings) -> ModuleType:
    """tests/browser.py, once the Browser of our test server can be driven."""
    if settings.browser_url is None:
        pytest.skip("external server: no Browser of ours to drive")
    module = browser
    missing = None
    try:
        module.require_chromium()
    except module.BrowserError as e:
        missing = str(e)
    if missing:  # CI installs it (.ci/run): a missing browser is a failure, not a skip
        pytest.fail(missing, pytrace=False)
    return module


@pytest.fixture
def password(settings: Settings) -> str:
    password = server.password(settings)
    assert password, "no password for the test server: start it with `make test-server-start`"
    return password


def test_login_and_query_in_the_browser_show_the_gds_version(
    bs: ModuleType, password: str, settings: Settings, tmp_path: Path
) -> None:
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


def test_an_explore_file_pasted_whole_sets_its_params_and_lists_what_the_driver_returns(
    bs: ModuleType, password: str, settings: Settings, wiped: neo4j.Driver, tmp_path: Path
) -> None:
    driver = wiped  # a graph of one cifar100 run
    runs = tmp_path / "runs.csv"
    with open(runs, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["model", "dataset", "acc"], ["tg-browser/top", "cifar100", 0.999]])
    cols = ["--model-col", "model", "--dataset-col", "dataset", "--accuracy-col", "acc"]
    proc = cli("ingest", "runs", str(runs), "--modality", "image", *cols)
    assert proc.returncode == 0, proc.stderr

    text = (REPO / "cypher" / "explore" / "top_models.cypher").read_text(encoding="utf-8")
    script = bs.parse_script(text)
    assert script.params == {"dataset": "'cifar100'"}, script
    # A `:param` value is a Cypher expression, which the Browser has the server evaluate: so do we.
    params = {
        name: driver.execute_query(f"RETURN {expr} AS value").records[0]["value"]
        for name, expr in script.params.items()
    }
    records = driver.execute_query(script.query, params).records
    models = [r["model"] for r in records]
    assert "tg-browser/top" in models, models

    started = time.monotonic()
    frame = bs.run_query(settings.browser_url, settings.bolt_uri, settings.username, password, text)
    elapsed = time.monotonic() - started

    assert script.query.splitlines()[0] in frame, frame  # the query's own frame, not the script's
    for model in models:  # the table shows strings quoted
        assert f'"{model}"' in frame, (model, frame)
    assert f"Started streaming {len(models)} records" in frame, frame
    assert elapsed < 60, f"the Browser round trip took {elapsed:.0f}s"
