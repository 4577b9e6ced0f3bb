"""Run one Cypher query in the Neo4j Browser, in headless Chromium, and save a screenshot.

    python tests/screenshots.py docs/browser.png [--query "RETURN gds.version() AS gds"]
    python tests/screenshots.py docs/explore.png --file cypher/explore/top_models.cypher

It drives the managed server that the TG_* settings name (the same ones `tg` reads) through
`tests/browser.py (run_query)`, the code the Browser tests use: it opens the Browser page, logs
in through the real connect form, runs the query (a whole explore file, `:param` lines included)
and saves a 1280x800 PNG.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from transfergraph.errors import BrowserError

from browser import DEFAULT_QUERY, run_query


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
