"""`tg model`: one new model, so it gets predictions from its metadata and the graph."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from transfergraph.choices import Format, Modality
from transfergraph.cli.options import FormatOpt, OptionalModalityOpt
from transfergraph.output import emit_record

app = typer.Typer(help="Add a model of your own or from the Hub.", no_args_is_help=True)


@app.command("add")
def add(
    model_id: str = typer.Argument(..., help="The model id, e.g. google/vit-base-patch16-224."),
    source: Path | None = typer.Option(
        None,
        "--from",
        help="Offline: the model's folder (config.json, and weights for `tg score`) or a config.json.",
    ),
    modality: Modality | None = OptionalModalityOpt,
    update: bool = typer.Option(
        False, "--update", help="Replace the record of a model the graph has (else it is refused)."
    ),
    fmt: Format = FormatOpt,
) -> None:
    """Read the model's Hub record (online) or its local config (offline), validate it as the
    hf-models loader does and write the Model node; then `tg predict` ranks it.

    A model the graph has is refused; --update replaces its record as a whole and lists the changes.

    Examples: tg model add google/vit-base-patch16-224; tg model add my-vit --from ./my-vit
    """
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        result = tg.add_model(
            model_id, source=source, modality=None if modality is None else modality.value, update=update
        )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    emit_record({k: v for k, v in result.record().items() if k != "notes"}, fmt)
