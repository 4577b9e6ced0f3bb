"""Errors the CLI turns into one line on stderr and a non-zero exit (TG_DEBUG=1 adds the traceback)."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar

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


class ServerDown(TGError):
    exit_code = 1


class DownloadError(TGError):
    """A download failed (no network, a moved file): the message names the offline alternative."""


class MissingExtra(TGError):
    """An optional package is not installed: the message names the extra to install."""

    def __init__(self, package: str, extra: str, needed_for: str):
        super().__init__(f"{needed_for} needs {package}: pip install 'transfergraph[{extra}]'")
