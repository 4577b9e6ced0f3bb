"""Every error TransferGraph raises on purpose, in one tree (as the neo4j driver documents its own).

    TGError                  a failure the user can act on; `str()` is the whole message
     +-- ParameterError      a bad argument of a library call, named by its Python parameter
     +-- InvalidInput        a data file or record that fails validation; nothing was written
     +-- MissingInput        the graph lacks what a ranker needs (similarity, LogME, metadata)
     +-- MissingExtra        an optional package is not installed (names the extra)
     +-- DownloadError       a download failed (names the offline alternative)
     +-- ServerDown          the Neo4j server is not running or not reachable
     +-- BrowserError        the Neo4j Browser could not be driven (tests, screenshots)

`except TGError` catches all of them. The CLI turns each into one line on stderr and a non-zero exit
(TG_DEBUG=1 adds the traceback); only the CLI turns a parameter's name into its flag (`seeds:` ->
`--seeds`). Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass

# What an error line echoes of a command-line argument: a 10 KB argument is cut to this.
ECHO_LIMIT = 200
# The arguments of the running command line (set by `transfergraph.cli.run`).
command_line: ContextVar[Sequence[str]] = ContextVar("command_line", default=())


def cut_echoes(message: str, args: Sequence[str] | None = None) -> str:
    """`message` with every command-line argument (or --option=VALUE value) longer than ECHO_LIMIT
    characters that it echoes, as typed or escaped by repr, cut to ECHO_LIMIT characters and its
    length. Every error line passes here (the CLI's `fail`, its usage errors, `tg ingest`'s
    problem lines)."""
    args = command_line.get() if args is None else args
    long = {v for a in args for v in (a, a.partition("=")[2]) if len(v) > ECHO_LIMIT}
    for value in sorted(long, key=len, reverse=True):
        for echo in dict.fromkeys((value, repr(value)[1:-1])):
            if echo in message:
                message = message.replace(echo, f"{echo[:ECHO_LIMIT]}... ({len(value)} characters)")
    return message


class TGError(Exception):
    """A failure the user can act on; `str()` is the whole message, no traceback is shown."""

    exit_code = 2


class ParameterError(TGError):
    """A bad argument of a library call, named as the Python parameter (`top: must be at least 1`);
    the CLI names the flag instead (`--top must be at least 1`)."""

    def __init__(self, parameter: str, problem: str):
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")

    def for_flag(self, flag: str) -> str:
        return f"{flag} {self.problem}"


@dataclass(frozen=True)
class Problem:
    """One bad cell (or file, or record): printed as one line `file:row: column 'c': message`."""

    file: str
    row: int | None  # 1-based line for CSV/JSONL (header = line 1), 1-based data row for Parquet
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        col = f" column {self.column!r}:" if self.column is not None else ""
        return f"{where}:{col} {self.message}"


class InvalidInput(TGError):
    """Validation failed; nothing was written. `problems` are already sorted for printing; `str()`
    is the first of them (and how many more), one line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        first = str(problems[0]) if problems else "invalid input"
        super().__init__(f"{first}{more}; nothing was written")


class MissingInput(TGError):
    """The zoo lacks what a ranker needs (no similarity, no LogME, no metadata): `str()` says what."""


class MissingExtra(TGError):
    """An optional package is not installed: the message names the extra to install."""

    def __init__(self, package: str, extra: str, needed_for: str):
        super().__init__(f"{needed_for} needs {package}: pip install 'transfergraph[{extra}]'")


class DownloadError(TGError):
    """A download failed (no network, a moved file): the message names the offline alternative."""


class ServerDown(TGError):
    exit_code = 1


class BrowserError(TGError):
    """The Browser could not be driven: no Chromium, no connection, or no result shown."""

    exit_code = 1
