"""`tg db`: install, run and query the graph database."""

from __future__ import annotations

import subprocess
from typing import Any

import typer
from neo4j.exceptions import ClientError

from transfergraph import config, db, server
from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt, WideOpt
from transfergraph.errors import ServerDown, TGError
from transfergraph.loaders.guarded_json import parse_json
from transfergraph.loaders.records import InvalidInput
from transfergraph.output import emit, emit_record

app = typer.Typer(
    help="Install, start, stop and query Neo4j (managed locally, or NEO4J_URI).", no_args_is_help=True
)


@app.command()
def install(
    offline: bool = typer.Option(False, "--offline", help="Use only jars already in ~/.m2 (no network)."),
) -> None:
    """Download the pinned Neo4j, GDS and Browser jars with Maven into the cache (idempotent).

    Example: tg db install
    """
    server.install(config.load(), offline=offline)


@app.command()
def start() -> None:
    """Start the managed Neo4j on 127.0.0.1 and wait until Bolt answers (installs it first if needed).

    Example: TG_BOLT_PORT=7688 TG_HTTP_PORT=7475 tg db start
    """
    settings = config.load()
    server.start(settings, wait_ready=lambda: db.answers(settings))


@app.command()
def init() -> None:
    """Apply the schema (constraints and indexes of cypher/schema.cypher); idempotent."""
    from transfergraph.ingest import apply_schema

    with db.connect(config.load()) as drv:
        names = apply_schema(drv)
    print(f"schema applied: {', '.join(names)}")


@app.command()
def stop() -> None:
    """Stop the managed Neo4j (clean shutdown; killed after 90 s)."""
    server.stop(config.load())


def status_record() -> dict[str, Any]:
    """What `tg db status` reports; raises ServerDown when the server does not answer."""
    settings = config.load()
    if not settings.external and server.running_pid(settings) is None:
        raise ServerDown(f"Neo4j is not running at {settings.bolt_uri} (start it with `tg db start`)")
    with db.connect(settings) as drv:
        comp = db.run(drv, "db/components")[0]
        try:
            gds = db.run(drv, "db/gds_version")[0]["gds_version"]
        except ClientError:
            gds = None
    return {
        "running": True,
        "managed": not settings.external,
        "neo4j_version": comp["neo4j_version"],
        "edition": comp["edition"],
        "gds_version": gds,
        "bolt_uri": settings.bolt_uri,
        "browser_url": settings.browser_url,
        "data_dir": None if settings.external else str(server.Paths.of(settings).data),
        "pid": None if settings.external else server.running_pid(settings),
        # the managed folder: 0700 and nothing in it readable by others (`private`)
        **({} if settings.external else server.privacy(settings)),
    }


@app.command()
def status(fmt: Format = FormatOpt) -> None:
    """Is the server up? Versions, Bolt URI, Browser URL, data dir. Exit code 1 when it is down.

    Example: tg db status --format json
    """
    emit_record(status_record(), fmt)


@app.command()
def logs(
    lines: int = typer.Option(50, "--lines", "-n", help="How many of the last lines."),
    follow: bool = typer.Option(False, "--follow", "-F", help="Keep printing new lines."),
    debug: bool = typer.Option(False, "--debug", help="debug.log instead of neo4j.log."),
) -> None:
    """Show the managed server's log (neo4j.log; --debug for debug.log)."""
    settings = config.load()
    if settings.external:
        raise TGError("NEO4J_URI is set: the logs of an external server are on that server")
    files = {p.name: p for p in server.log_files(settings)}
    path = files.get("debug.log" if debug else "neo4j.log") or files.get("console.log")
    if path is None:
        raise TGError(f"no log yet in {server.Paths.of(settings).logs}: has the server been started?")
    subprocess.run(["tail", "-n", str(lines), *(["-F"] if follow else []), str(path)], check=False)


def parse_param(text: str) -> tuple[str, Any]:
    """`k=v`; v is read as JSON when it parses (numbers, true, [1,2], "quoted"), else as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.isidentifier():
        raise TGError(f"--param {text!r}: expected NAME=VALUE with NAME a plain identifier")
    try:  # the guarded reader: a 5,000-digit number or deep nesting is one line, not a traceback
        value = parse_json(raw, f"--param {key}", finite=False, exact=False)
    except InvalidInput as e:
        if not e.problems[0].message.startswith("not JSON:"):
            raise TGError(str(e.problems[0])) from None
        value = raw  # not JSON at all: the text itself
    return key, value


@app.command()
def cypher(
    statement: str = typer.Argument(
        ..., help="A Cypher statement; pass values with --param, not by pasting."
    ),
    param: list[str] = typer.Option(
        [], "--param", "-p", help="NAME=VALUE, repeatable; VALUE parsed as JSON."
    ),
    fmt: Format = FormatOpt,
    wide: bool = WideOpt,
) -> None:
    """Run a parameterised Cypher statement and print the rows.

    Example: tg db cypher "MATCH (m:Model) WHERE m.id STARTS WITH $p RETURN m.id LIMIT 5" -p p=google/
    """
    params = dict(parse_param(p) for p in param)
    with db.connect(config.load()) as drv:
        try:
            records, _, keys = drv.execute_query(statement, params)
        except ClientError as e:
            first = (e.message or str(e)).splitlines()[0]
            raise TGError(f"Cypher error {e.code}: {first}") from None
    emit([dict(zip(keys, r.values(), strict=True)) for r in records], fmt, wide=wide)
