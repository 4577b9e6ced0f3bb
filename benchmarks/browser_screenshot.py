"""Run one Cypher query in the Neo4j Browser, in headless Chromium, and save a screenshot.

    python benchmarks/browser_screenshot.py docs/browser.png [--query "RETURN gds.version() AS gds"]

It drives the managed server that the TG_* settings name (the same ones `tg` reads): it opens the
Browser page, logs in through the real connect form, types the query in the editor, runs it and
saves a 1280x800 PNG. tests/test_browser.py drives the Browser through `run_query` below.

Chromium is Debian's (`apt-get install chromium`), never a Playwright download: `playwright install`
cannot reach its CDN on our closed network. Requests to hosts other than the server's (web fonts,
analytics) are aborted, so a page load never waits on the outside world.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

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


class BrowserError(RuntimeError):
    """The Browser could not be driven: no Chromium, no connection, or no result shown."""


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

    With `screenshot`, the page (result frame on top) is also saved there as a PNG.
    """
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

            # insert_text, not typing: the editor's auto-closing brackets would mangle keystrokes.
            page.locator("#monaco-main-editor").click()
            page.keyboard.insert_text(query)
            page.get_by_test_id("editor-Run").click()
            first_line = query.strip().splitlines()[0]
            frame = (
                page.get_by_test_id("frame")
                .filter(has=page.get_by_test_id("frameCommand").filter(has_text=first_line))
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


def _dismiss_usage_banner(page: Page) -> None:
    """Close the "we collect information on product usage" banner (it shows up a moment after login)."""
    banner = page.get_by_text("To help make Neo4j Browser better")
    try:
        banner.wait_for(timeout=3000)
    except PlaywrightTimeoutError:
        return
    banner.locator("xpath=following-sibling::*[1]").click()  # its close button has no test id
    banner.wait_for(state="detached")
    page.mouse.move(30, 400)  # off the frame's buttons, whose hover menus would show in the picture


def main(argv: list[str] | None = None) -> int:
    from transfergraph import config, server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", type=Path, help="where to save the screenshot")
    parser.add_argument("--query", default=DEFAULT_QUERY, help=f"Cypher to run (default: {DEFAULT_QUERY})")
    args = parser.parse_args(argv)
    settings = config.load()
    password = server.password(settings)
    if settings.browser_url is None or password is None:
        print("error: needs the managed server, started (`tg db start`)", file=sys.stderr)
        return 2
    try:
        text = run_query(
            settings.browser_url, settings.bolt_uri, settings.username, password, args.query, args.png
        )
    except BrowserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(text)
    print(f"saved {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
