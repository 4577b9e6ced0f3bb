"""The `tg` command line: built from one module per command group, errors turned into one line."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import textwrap
import traceback
from collections.abc import Sequence
from typing import Any

import typer
from neo4j.exceptions import Neo4jError, ServiceUnavailable
from typer.core import TyperGroup
from typer.main import solve_typer_info_help

from transfergraph.api import __version__, debug
from transfergraph.errors import ParameterError, TGError, command_line, cut_echoes

# The order of `tg --help`: the order a user runs them in (Typer would list commands before groups).
PIPELINE = ("db", "ingest", "sync", "graph", "embed", "predict", "recommend", "evaluate", "dataset", "model",
            "score")  # fmt: skip
_HELP = "TransferGraph: which pre-trained model to fine-tune for your dataset (a Neo4j model-zoo graph)."
# The command groups; the other names are single commands. Each lives in `transfergraph.cli.<name>`
# (a group as its `app`, a command as the function of its name).
GROUPS = frozenset({"db", "ingest", "graph", "embed", "dataset", "model"})
# An example command line starts a line of its own: `tg ...`, maybe after environment settings.
_NEXT_EXAMPLE = re.compile(r";\s+(?=(?:[A-Z_]+=\S*\s+)*tg\s)")
_EXAMPLE_WIDTH = 78  # an example line fits 80 columns after click's indent of 2
# Typer's usage errors: click's ClickException, or the copy of click a Typer release bundles
_CLICK_ERROR: type[Any] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class _Root(TyperGroup):
    """The root command: subcommands listed in pipeline order, and a usage error (a bad option value,
    an unknown option) shown by Typer as usual, its echo of a long argument cut first."""

    def list_commands(self, ctx: Any) -> list[str]:  # ctx: a Context of Typer's own copy of click
        names = super().list_commands(ctx)
        return sorted(names, key=lambda n: PIPELINE.index(n) if n in PIPELINE else len(PIPELINE))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _CLICK_ERROR as e:
            e.message = cut_echoes(e.message)
            raise


def prose_help(doc: str) -> str:
    """A docstring as click shows it well: click wraps its paragraphs as prose, and an
    `Example(s): A; B` paragraph becomes one example a line (a long one continues, indented)."""
    paragraphs = []
    for paragraph in inspect.cleandoc(doc).split("\n\n"):
        head, sep, examples = paragraph.partition(":")
        if not sep or head not in ("Example", "Examples"):
            paragraphs.append(paragraph)
            continue
        lines = []
        for example in _NEXT_EXAMPLE.split(" ".join(examples.split())):
            command, paren, note = example.partition(" (")
            if len(example) > _EXAMPLE_WIDTH and paren and example.endswith(")"):
                lines += [*_wrap(command), f"    ({note}"]
            else:
                lines += _wrap(example)
        paragraphs.append(f"{head}:\n\n\b\n" + "\n".join(lines))  # \b: click keeps these lines as they are
    return "\n\n".join(paragraphs)


def _wrap(example: str) -> list[str]:
    return textwrap.wrap(
        example, _EXAMPLE_WIDTH, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )


def _short_help(doc: str) -> str:
    """What `tg --help` lists beside a command: its first sentence or clause, whole (click would cut
    it at 45 characters or so)."""
    first = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    depth = 0
    for i, char in enumerate(first):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char in ".;" and depth == 0 and first[i + 1 : i + 2] in (" ", ""):
            return first[:i]
    return first


def reflow_help(typer_app: typer.Typer) -> None:
    """Set the help of every command and group under `typer_app` from its docstring (or help=), made
    prose by `prose_help`: one place, so docstrings keep their natural line breaks."""
    for command in typer_app.registered_commands:
        doc = command.help or inspect.getdoc(command.callback) or ""
        command.help, command.short_help = prose_help(doc), _short_help(doc)
    for group in typer_app.registered_groups:
        doc = solve_typer_info_help(group)
        group.help, group.short_help = prose_help(doc), _short_help(doc)
        if group.typer_instance is not None and id(group.typer_instance) not in _REFLOWED:
            _REFLOWED.add(id(group.typer_instance))
            reflow_help(group.typer_instance)


def _version(value: bool) -> None:
    if value:
        print(f"tg {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """TransferGraph: which pre-trained model to fine-tune for your dataset (a Neo4j model-zoo graph)."""


def build(only: str | None = None) -> typer.Typer:
    """The `tg` app with every command, or with `only` that one: a command's module (and what it
    imports) is loaded only when the app holds it, so `tg recommend` does not pay for `tg ingest`'s
    imports. Built once per `only`."""
    if only not in _BUILT:
        root = typer.Typer(
            name="tg",
            help=_HELP,
            no_args_is_help=True,
            pretty_exceptions_enable=False,
            context_settings={"help_option_names": ["-h", "--help"]},
            cls=_Root,
            # click's own help: it wraps docstrings as prose at the terminal's width (rich keeps their
            # line breaks) and gives options' help room to read at 80 columns
            rich_markup_mode=None,
        )
        root.callback()(_root)
        for name in PIPELINE if only is None else (only,):
            module = importlib.import_module(f"transfergraph.cli.{name}")
            if name in GROUPS:
                root.add_typer(module.app, name=name)
            else:
                root.command(name)(getattr(module, name))
        reflow_help(root)
        _BUILT[only] = root
    return _BUILT[only]


_BUILT: dict[str | None, typer.Typer] = {}
_REFLOWED: set[int] = set()  # the groups' own Typer apps, shared by every build: reflowed once


# API parameters whose flag is not their name with dashes: (command or None for all, parameter) -> flag
FLAGS = {
    ("score", "top"): "--top-from-graph",
    (None, "metrics"): "--metric",
    (None, "thresholds"): "--threshold",
    (None, "views"): "--view",
    (None, "datasets"): "--dataset",
    (None, "modalities"): "--modality",
    (None, "hparam_cols"): "--hparam-col",
    (None, "hf_models_files"): "--hf-models-file",
    (None, "files"): "--file",
    (None, "source"): "--from",
}


def flag(parameter: str, command: str | None = None) -> str:
    """The command-line flag of a library parameter: `top` -> `--top`, `include_tried` ->
    `--include-tried` (the API's keyword names follow the flags, but for FLAGS)."""
    found = FLAGS.get((command, parameter)) or FLAGS.get((None, parameter))
    return found or "--" + parameter.replace("_", "-")


def fail(message: str, code: int) -> int:
    """One line on stderr, and `code` to exit with; with TG_DEBUG=1 the traceback first (for bug
    reports)."""
    if debug():
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
    args = list(sys.argv[1:] if argv is None else argv)
    command_line.set(args)
    try:
        # a command's own app when it names one (its help and errors are the same), else the whole one
        app = build(args[0] if args and args[0] in PIPELINE else None)
        app(args=None if argv is None else list(argv), prog_name=prog_name, standalone_mode=True)
    except SystemExit as e:
        return _exit_code(e)
    except ParameterError as e:  # the library names its parameter, a user typed a flag
        return fail(e.for_flag(flag(e.parameter, args[0] if args else None)), e.exit_code)
    except TGError as e:  # InvalidInput: a data file's first bad cell, file:row: column
        return fail(str(e), e.exit_code)
    except ServiceUnavailable as e:
        return fail(f"lost the connection to Neo4j: {e}", 1)
    except Neo4jError as e:
        return fail(f"Neo4j said {e.code}: {(e.message or '').splitlines()[0] if e.message else e}", 2)
    return 0


def main() -> None:
    """Entry point (`tg`, `python -m transfergraph`): `run()`, then exit with its code."""
    raise SystemExit(run())
