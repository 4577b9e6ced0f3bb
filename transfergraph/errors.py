"""The one error type the CLI turns into a one-line message and a non-zero exit."""

from __future__ import annotations


class TGError(Exception):
    """A failure the user can act on; `str()` is the whole message, no traceback is shown."""

    exit_code = 2


class ServerDown(TGError):
    exit_code = 1
