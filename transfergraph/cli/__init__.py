"""`tg`: the TransferGraph command line. One module per command group."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from neo4j.exceptions import Neo4jError, ServiceUnavailable
from typer.core import TyperGroup

from transfergraph import __version__
from transfergraph.cli import dataset as dataset_cli
from transfergraph.cli import db as db_cli
from transfergraph.cli import embed as embed_cli
from transfergraph.cli import evaluate as evaluate_cli
from transfergraph.cli import graph as graph_cli
from transfergraph.cli import ingest as ingest_cli
from transfergraph.cli import model as model_cli
from transfergraph.cli import predict as predict_cli
from transfergraph.cli import recommend as recommend_cli
from transfergraph.cli import score as score_cli
from transfergraph.errors import ECHO_LIMIT, TGError, command_line, cut_echoes
from transfergraph.loaders.records import InvalidInput

# Typer's usage errors: click's ClickException, or the copy of click a Typer release bundles
_CLICK_ERROR: type[Any] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class _Group(TyperGroup):
    """The root command: a usage error (a bad option value, an unknown option) is shown by Typer
    as usual, its echo of a long argument cut first."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_ERROR as e:
            e.message = cut_echoes(e.message)
            raise


app = typer.Typer(
    cls=_Group,
    name="tg",
    help="TransferGraph: which pre-trained model to fine-tune for your dataset (a Neo4j model-zoo graph).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"tg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """TransferGraph: which pre-trained model to fine-tune for your dataset (a Neo4j model-zoo graph)."""


app.add_typer(db_cli.app, name="db")
app.add_typer(ingest_cli.app, name="ingest")
app.add_typer(graph_cli.app, name="graph")
app.add_typer(embed_cli.app, name="embed")
app.add_typer(dataset_cli.app, name="dataset")
app.add_typer(model_cli.app, name="model")
app.command("score")(score_cli.score)
app.command("predict")(predict_cli.predict)
app.command("recommend")(recommend_cli.recommend)
app.command("evaluate")(evaluate_cli.evaluate)


__all__ = ["ECHO_LIMIT", "app", "cut_echoes", "fail", "main", "run"]


def fail(message: str, code: int) -> int:
    """One line on stderr, and `code` to exit with; with TG_DEBUG=1 the traceback first (for bug
    reports)."""
    if os.environ.get("TG_DEBUG", "") not in ("", "0"):
        traceback.print_exc()
    print(f"error: {cut_echoes(message)}", file=sys.stderr)
    return code


def _exit_code(e: SystemExit) -> int:
    """The status a process exiting with `e` would have (as Python itself maps it)."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


def run(argv: Sequence[str] | None = None, prog_name: str | None = None) -> int:
    """The command line on `argv` (default: sys.argv[1:]), returning the exit code instead of
    exiting: library errors become one line on stderr and a non-zero code. Anything else is a bug
    and keeps its traceback. The tests call this in-process."""
    command_line.set(list(sys.argv[1:] if argv is None else argv))
    try:
        app(args=None if argv is None else list(argv), prog_name=prog_name, standalone_mode=True)
    except SystemExit as e:
        return _exit_code(e)
    except TGError as e:
        return fail(str(e), e.exit_code)
    except InvalidInput as e:  # a user's data file: its first bad cell, file:row: column
        more = f" (and {len(e.problems) - 1} more)" if len(e.problems) > 1 else ""
        return fail(f"{e.problems[0]}{more}; nothing was written", 2)
    except ServiceUnavailable as e:
        return fail(f"lost the connection to Neo4j: {e}", 1)
    except Neo4jError as e:
        return fail(f"Neo4j said {e.code}: {(e.message or '').splitlines()[0] if e.message else e}", 2)
    return 0


def main() -> None:
    """Entry point (`tg`, `python -m transfergraph`): `run()`, then exit with its code."""
    raise SystemExit(run())
