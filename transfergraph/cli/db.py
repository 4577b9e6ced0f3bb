"""`tg db`: install, run and query the graph database."""

from __future__ import annotations

import subprocess
from typing import Any

import typer

from transfergraph.api import TransferGraph, parse_param
from transfergraph.choices import Format
from transfergraph.cli.options import FormatOpt, WideOpt
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
    TransferGraph.install_server(offline=offline)


@app.command()
def start() -> None:
    """Start the managed Neo4j on 127.0.0.1 and wait until Bolt answers (installs it first if needed).

    Example: TG_BOLT_PORT=7688 TG_HTTP_PORT=7475 tg db start
    """
    TransferGraph.start_server()


@app.command()
def init() -> None:
    """Apply the schema (constraints and indexes of cypher/schema.cypher); idempotent."""
    with TransferGraph() as tg:
        names = tg.apply_schema()
    print(f"schema applied: {', '.join(names)}")


@app.command()
def stop() -> None:
    """Stop the managed Neo4j (clean shutdown; killed after 90 s)."""
    TransferGraph.stop_server()


def status_record() -> dict[str, Any]:
    """What `tg db status` reports; raises ServerDown when the server does not answer."""
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        return tg.status()


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
    path = TransferGraph.server_log(debug=debug)
    subprocess.run(["tail", "-n", str(lines), *(["-F"] if follow else []), str(path)], check=False)


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
    with TransferGraph() as tg:
        rows = tg.cypher(statement, params)
    emit(rows, fmt, wide=wide)
