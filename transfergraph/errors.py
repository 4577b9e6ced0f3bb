"""Errors the CLI turns into one line on stderr and a non-zero exit (TG_DEBUG=1 adds the traceback)."""

from __future__ import annotations


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
