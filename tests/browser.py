"""Drive the Neo4j Browser in a real headless Chromium: log in through its connect form, run Cypher.

The tests (tests/server/test_browser.py) and the screenshot tool (tests/screenshots.py,
which makes docs/browser.png and docs/explore.png) both drive the Browser through `run_query`, so
they cannot drift apart.

A `.cypher` file with `:param` lines (cypher/explore/*.cypher) runs as a user pastes it: the whole
file in one editor submission. The Browser's multi-statement mode runs the `:param` commands and the
query one by one, but shows only a SUCCESS/ERROR summary per statement, never rows; so once every
statement has succeeded, the query is submitted again on its own, with the parameters now set, and
that frame's table is the result.

Chromium is Debian's (`apt-get install chromium`), never a Playwright download: `playwright install`
cannot reach its CDN on our closed network. Requests to hosts other than the server's (web fonts,
analytics) are aborted, so a page load never waits on the outside world.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from transfergraph.cypher import parse_script
from transfergraph.errors import BrowserError, MissingExtra

if TYPE_CHECKING:  # playwright is a dev/test dependency: imported only when the Browser is driven
    from playwright.sync_api import Page, Route, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections are refused on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
DEFAULT_QUERY = "RETURN gds.version() AS gds"
# A statement's status in a multi-statement frame, besides success (and waiting/pending while it runs).
UNSUCCESSFUL = ", ".join(f'[title="Status: {s}"]' for s in ("error", "skipped", "ignored"))


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        raise BrowserError(
            f"Chromium is not installed ({CHROMIUM} is missing): run `apt-get install -y chromium` "
            "(as root; do not use `playwright install`, its browser download fails here)"
        )
    return CHROMIUM


def run_query(
    browser_url: str,
    bolt_uri: str,
    username: str,
    password: str,
    query: str = DEFAULT_QUERY,
    screenshot: Path | None = None,
    timeout_s: float = 30.0,
) -> str:
    """Log in to the Browser at `browser_url`, run `query` there; return the text of its result frame.

    A `query` that starts with `:param` lines and has Cypher after them is first run whole, in the
    multi-statement mode (see the module's docstring), then its Cypher alone.
    With `screenshot`, the page (result frame on top) is also saved there as a PNG.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise MissingExtra("playwright", "dev", "driving the Neo4j Browser") from None
    script = parse_script(query)
    chromium = require_chromium()
    scheme, _, address = bolt_uri.partition("://")
    allowed = {urlsplit(browser_url).hostname, urlsplit(bolt_uri).hostname}

    def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in allowed:
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.set_default_timeout(timeout_s * 1000)
            context.route("**/*", local_only)
            page = context.new_page()
            page.goto(browser_url)

            # The connect form the Browser shows on a fresh profile (`:server connect`).
            page.get_by_test_id("bolt-scheme-select").select_option(f"{scheme}://")
            page.get_by_test_id("boltaddress").fill(address)
            page.get_by_test_id("username").fill(username)
            page.get_by_test_id("password").fill(password)
            page.get_by_test_id("connect").click()
            connected = page.get_by_text("You are connected as user")
            failed = page.get_by_test_id("frame").get_by_text(
                re.compile(r"Neo\.\w+Error|ServiceUnavailable|WebSocket connection failure")
            )
            connected.or_(failed).first.wait_for()
            if not connected.is_visible():
                raise BrowserError(f"the Browser did not connect to {bolt_uri}: {failed.first.inner_text()}")

            if script.commands and script.query:
                _run_script(page, query, len(script.commands) + 1)
                query = script.query
            _submit(page, query)
            first_line = query.strip().splitlines()[0]
            frame = (
                page.get_by_test_id("frame")
                .filter(has=page.get_by_test_id("frameCommand").filter(has_text=first_line))
                .filter(has_not=page.get_by_test_id("multi-statement-list"))
                .first
            )
            done = frame.get_by_test_id("frameStatusbar").filter(has_text=re.compile(r"\S"))
            error = frame.get_by_test_id("cypherFrameErrorMessage")
            done.or_(error).first.wait_for()
            text = frame.inner_text()
            if screenshot is not None:
                _dismiss_usage_banner(page)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=screenshot)
            if error.count():
                raise BrowserError(f"the query failed in the Browser: {' '.join(text.split())}")
            return text
        finally:
            browser.close()


def _submit(page: Page, text: str) -> None:
    # insert_text, not typing: the editor's auto-closing brackets would mangle keystrokes.
    page.locator("#monaco-main-editor").click()
    page.keyboard.insert_text(text)
    page.get_by_test_id("editor-Run").click()


def _run_script(page: Page, text: str, statements: int) -> None:
    """Run `text` in one submission and wait until each of its `statements` has succeeded."""
    _submit(page, text)
    frame = page.get_by_test_id("frame").filter(has=page.get_by_test_id("multi-statement-list")).first
    status = frame.get_by_test_id("multi-statement-list-icon")
    succeeded = status.and_(page.locator('[title="Status: success"]'))
    unsuccessful = status.and_(page.locator(UNSUCCESSFUL))
    succeeded.nth(statements - 1).or_(unsuccessful).first.wait_for()
    if unsuccessful.count() or succeeded.count() != statements:
        raise BrowserError(f"the script failed in the Browser: {' '.join(frame.inner_text().split())}")


def _dismiss_usage_banner(page: Page) -> None:
    """Close the "we collect information on product usage" banner (it shows up a moment after login)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    banner = page.get_by_text("To help make Neo4j Browser better")
    try:
        banner.wait_for(timeout=3000)
    except PlaywrightTimeoutError:
        return
    banner.locator("xpath=following-sibling::*[1]").click()  # its close button has no test id
    banner.wait_for(state="detached")
    page.mouse.move(30, 400)  # off the frame's buttons, whose hover menus would show in the picture
