"""`tg`: the TransferGraph command line, one module per command group, each a thin layer over
`transfergraph.api.TransferGraph` (`commandline` builds it and turns errors into one line)."""

from transfergraph.cli.commandline import build, fail, flag, main, run

__all__ = ["build", "fail", "flag", "main", "run"]
