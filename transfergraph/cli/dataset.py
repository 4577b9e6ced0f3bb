"""`tg dataset`: a user's own dataset, placed among the known ones by its probe embedding."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from transfergraph.choices import Format, Modality
from transfergraph.cli.options import FormatOpt, ModalityOpt
from transfergraph.errors import TGError
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
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg, progress() as bar:
        task = bar.add_task(f"embed {name}", total=None)
        call = tg.add_dataset if create else tg.embed_dataset
        result = call(
            name, source, modality=modality, label_col=label_col, text_col=text_col, probe=probe,
            probe_path=probe_path, sample=sample, seed=seed, on_batch=lambda n: bar.advance(task, n),
        )  # fmt: skip
    emit_record(result.record(), fmt)
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


@app.command("embed")
def embed(
    name: str | None = typer.Argument(None, help="The dataset's id (or --zoo)."),
    source: str | None = typer.Option(None, "--from", help=FromOpt.help),
    modality: Modality | None = typer.Option(None, "--modality", help="image or text (--zoo: both)."),
    label_col: str | None = LabelOpt,
    text_col: str | None = TextOpt,
    probe: str | None = ProbeOpt,
    probe_path: Path | None = ProbePathOpt,
    sample: int = SampleOpt,
    seed: int = SeedOpt,
    zoo: bool = typer.Option(
        False, "--zoo", help="Embed every dataset of the ingested zoo that has a Hub copy (resumable)."
    ),
    out: Path = typer.Option(
        Path("zoo_fingerprints.jsonl"), "--out", help="--zoo: the fingerprint file it writes."
    ),
    hub_ids: Path | None = typer.Option(
        None,
        "--hub-ids",
        help="--zoo: a CSV mapping zoo names to hf: references (default: the packaged one).",
    ),
    fmt: Format = FormatOpt,
) -> None:
    """Place a dataset that is already in the graph (a zoo dataset) in a probe's space from its
    data, so datasets added with the same probe get a distance to it. With --zoo, every zoo dataset
    with a Hugging Face copy (transfergraph/data/zoo_hub_ids.csv): the ones already embedded with
    the same probe, sample and seed are skipped, one that cannot be read is one line, and the
    fingerprints are written to --out for `tg ingest fingerprints` elsewhere.

    Example: tg dataset embed cifar100 --from hf:uoft-cs/cifar100 --modality image
    Example: tg dataset embed --zoo --modality text --out text_fingerprints.jsonl
    """
    if zoo:
        if name is not None or source is not None:
            raise TGError("--zoo embeds the zoo's datasets from the Hub: give no NAME and no --from")
        _zoo(out, None if modality is None else modality.value, probe, probe_path, sample, seed, hub_ids, fmt)
        return
    if name is None or source is None or modality is None:
        raise TGError("give NAME --from DATA --modality image|text (or --zoo)")
    _place(name, source, modality.value, False, label_col, text_col, probe, probe_path, sample, seed, fmt)


def _zoo(
    out: Path, modality: str | None, probe: str | None, probe_path: Path | None, sample: int, seed: int,
    hub_ids: Path | None, fmt: Format,
) -> None:  # fmt: skip
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg, progress(eta=True) as bar:
        task = bar.add_task("embed the zoo", total=None)

        def done(row: Any) -> None:  # a transfergraph.userdata.zoo.ZooRow
            if row.status == "failed":
                print(f"skipped {row.dataset} ({row.source}): {row.reason}", file=sys.stderr)
            bar.advance(task, 1)

        result = tg.embed_zoo(
            out, modality=modality, probe=probe, probe_path=probe_path, sample=sample, seed=seed,
            hub_ids=hub_ids, on_start=lambda n: bar.update(task, total=n), on_done=done,
        )  # fmt: skip
    emit_record(result.summary(), fmt)
    if result.count("failed"):
        raise typer.Exit(1)


@app.command("export-fingerprints")
def export_fingerprints(
    file: Path = typer.Argument(..., metavar="FILE", help="The fingerprint file to write (.jsonl)."),
    probe: str | None = typer.Option(None, "--probe", help="Only the datasets embedded with this probe."),
    fmt: Format = FormatOpt,
) -> None:
    """Write the probe embedding of every dataset embedded here (with --probe: with that probe) as a
    fingerprint file, for `tg ingest fingerprints` on another machine (format: docs/design.md).

    Example: tg dataset export-fingerprints zoo_fingerprints.jsonl --probe google/vit-base-patch16-224
    """
    from transfergraph.api import TransferGraph

    with TransferGraph() as tg:
        result = tg.export_fingerprints(file, probe=probe)
    emit_record({"file": result.path, "datasets": result.datasets, "probes": ", ".join(result.probes)}, fmt)
