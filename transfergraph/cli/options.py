"""Typer options shared by several commands: one definition each, so they read and behave alike."""

from __future__ import annotations

import typer

from transfergraph.choices import Format, Modality

FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output: table (for people), json or csv.")
WideOpt = typer.Option(False, "--wide", help="Tables: every column at full width, however wide.")
BatchOpt = typer.Option(5000, "--batch-size", min=1, help="Rows per transaction.")
DryRunOpt = typer.Option(False, "--dry-run", help="Validate and report; write nothing.")
BulkOpt = typer.Option(
    False,
    "--bulk",
    help="Initial load into an EMPTY managed database with neo4j-admin import (restarts the server).",
)
ModalityOpt = typer.Option(..., "--modality", help="image or text.")
OptionalModalityOpt = typer.Option(None, "--modality", help="Force image or text (else inferred).")
ViewOpt = typer.Option(None, "--view", help="View name (default: 'all', or 'without:TARGET' with --target).")
__all__ = ["BatchOpt", "BulkOpt", "DryRunOpt", "FormatOpt", "Modality", "ModalityOpt", "OptionalModalityOpt",
           "ViewOpt", "WideOpt"]  # fmt: skip
