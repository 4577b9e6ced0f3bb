"""Run one Cypher query in the Neo4j Browser, in headless Chromium, and save a screenshot.

    python benchmarks/browser_screenshot.py docs/browser.png [--query "RETURN gds.version() AS gds"]
    python benchmarks/browser_screenshot.py docs/explore.png --file cypher/explore/top_models.cypher

It drives the managed server that the TG_* settings name (the same ones `tg` reads): it opens the
Browser page, logs in through the real connect form, types the query in the editor, runs it and
saves a 1280x800 PNG. tests/test_browser.py drives the Browser through `run_query` below.

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

import argparse
import re
import sys
from pathlib import Path
from typing import NamedTuple
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
PARAM = re.compile(r":param\s+(\w+)\s*=>\s*(.+)")
# A statement's status in a multi-statement frame, besides success (and waiting/pending while it runs).
UNSUCCESSFUL = ", ".join(f'[title="Status: {s}"]' for s in ("error", "skipped", "ignored"))


class BrowserError(RuntimeError):
    """The Browser could not be driven: no Chromium, no connection, or no result shown."""


class Script(NamedTuple):
    """Editor text split as the explore files are laid out: client commands, then one Cypher query."""

    commands: list[str]  # leading `:param ...` lines, without their `;`
    query: str  # the rest, without whole-line `//` comments and the final `;`

    @property
    def params(self) -> dict[str, str]:
        """`:param name => expression` as {name: the Cypher expression the Browser evaluates}."""
        return {m[1]: m[2].strip() for c in self.commands if (m := PARAM.fullmatch(c))}


def parse_script(text: str) -> Script:
    """Split editor text (a cypher/explore file) into its leading client commands and its Cypher."""
    commands: list[str] = []
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if stripped.startswith(":") and not any(b.strip() for b in body):
            commands.append(stripped.removesuffix(";").rstrip())
        else:
            body.append(line)
    return Script(commands, "\n".join(body).strip().removesuffix(";").rstrip())


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
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--query", default=DEFAULT_QUERY, help=f"Cypher to run (default: {DEFAULT_QUERY})")
    source.add_argument(
        "--file", type=Path, help="a .cypher file to run whole, `:param` lines included (cypher/explore)"
    )
    args = parser.parse_args(argv)
    query = args.file.read_text(encoding="utf-8") if args.file else args.query
    settings = config.load()
    password = server.password(settings)
    if settings.browser_url is None or password is None:
        print("error: needs the managed server, started (`tg db start`)", file=sys.stderr)
        return 2
    try:
        text = run_query(
            settings.browser_url, settings.bolt_uri, settings.username, password, query, args.png
        )
    except BrowserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(text)
    print(f"saved {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
