"""`tg dataset`: a user's own dataset, placed among the known ones by its probe embedding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from transfergraph import config, db
from transfergraph.choices import Format, Modality
from transfergraph.cli.options import FormatOpt, ModalityOpt
from transfergraph.output import emit_record, progress

app = typer.Typer(help="A dataset of your own: add it, or embed a known one in a probe's space.",
                  no_args_is_help=True)  # fmt: skip

FromOpt = typer.Option(
    ...,
    "--from",
    help="An image folder (one sub-folder per class), a CSV / Parquet / JSONL table (text), or a "
    "Hugging Face dataset: hf:REPO[:CONFIG][:SPLIT] (split: train unless given).",
)
LabelOpt = typer.Option(
    None, "--label-col", help="Column with the class label (default: label; hf: found from the features)."
)
TextOpt = typer.Option(
    None, "--text-col", help="Column with the text (default: text; hf: found from the features)."
)
ProbeOpt = typer.Option(
    None,
    "--probe",
    help="Probe model id (default: sentence-transformers/all-MiniLM-L6-v2 for text, "
    "google/vit-base-patch16-224 for images).",
)
ProbePathOpt = typer.Option(None, "--probe-path", help="A local folder with the probe's weights (offline).")
SampleOpt = typer.Option(1000, "--sample", min=2, help="Embed a seeded sample of at most this many items.")
SeedOpt = typer.Option(0, "--seed", help="Seed of the sample.")


def _place(
    name: str, source: str, modality: str, create: bool, label_col: str | None, text_col: str | None,
    probe: str | None, probe_path: Path | None, sample: int, seed: int, fmt: Format,
) -> None:  # fmt: skip
    from transfergraph.userdata.place import place

    with db.connect(config.load()) as drv, progress() as bar:
        task = bar.add_task(f"embed {name}", total=None)
        result = place(
            drv, name, source, modality, create=create, label_col=label_col, text_col=text_col,
            probe=probe, probe_path=None if probe_path is None else str(probe_path), sample=sample,
            seed=seed, on_batch=lambda n: bar.advance(task, n),
        )  # fmt: skip
    emit_record(result, fmt)
    if fmt is Format.table:
        print(f"next: tg score --dataset {name} --top-from-graph 10; tg predict --dataset {name}")


def _command(create: bool, doc: str) -> Callable[..., None]:
    """`add` and `embed` take the same options and differ only in whether the dataset is new."""

    def command(
        name: str = typer.Argument(..., help="The dataset's id."),
        source: str = FromOpt,
        modality: Modality = ModalityOpt,
        label_col: str | None = LabelOpt,
        text_col: str | None = TextOpt,
        probe: str | None = ProbeOpt,
        probe_path: Path | None = ProbePathOpt,
        sample: int = SampleOpt,
        seed: int = SeedOpt,
        fmt: Format = FormatOpt,
    ) -> None:
        _place(
            name, source, modality.value, create, label_col, text_col, probe, probe_path, sample, seed, fmt
        )

    command.__doc__ = doc
    return command


app.command("add")(
    _command(
        True,
        """Read the data, embed a seeded sample with the probe model, store the embedding, size and
    class count on a new Dataset node, and its distance to every dataset embedded with that probe.

    Example: tg dataset add my_reviews --from reviews.csv --modality text --text-col review
    """,
    )
)
app.command("embed")(
    _command(
        False,
        """Place a dataset that is already in the graph (a zoo dataset) in a probe's space from its
    data, so datasets added with the same probe get a distance to it.

    Example: tg dataset embed cifar100 --from ./cifar100/train --modality image
    """,
    )
)
