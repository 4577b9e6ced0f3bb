"""`tg ingest`: bulk zoo ingestion jobs (paper zoo, fine-tuning runs, Hugging Face metadata)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from transfergraph import config, db, ingest
from transfergraph.choices import Format, Modality
from transfergraph.cli.options import (
    BatchOpt,
    BulkOpt,
    DryRunOpt,
    FormatOpt,
    ModalityOpt,
    OptionalModalityOpt,
)
from transfergraph.ingest import bulk
from transfergraph.loaders import hf_models, paper_zoo, runs, storable
from transfergraph.loaders.records import ENTITIES, InvalidInput, Records
from transfergraph.output import emit

app = typer.Typer(
    help="Load a zoo source into the graph (idempotent: re-runs change nothing).", no_args_is_help=True
)


def _run(
    load: Callable[[], Records], batch_size: int, dry_run: bool, fmt: Format, use_bulk: bool = False
) -> None:
    """Load (validating everything first), then write, then print the summary."""
    if use_bulk and not dry_run:
        bulk.check_empty(config.load())  # refuse before reading a large file
    try:
        records: Records = storable.check(load())  # nothing Neo4j would refuse reaches a writer
    except InvalidInput as e:
        for problem in e.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: {len(e.problems)} problem(s); nothing was written", file=sys.stderr)
        raise typer.Exit(2) from None
    for note in records.notes:
        print(f"note: {note}", file=sys.stderr)
    if dry_run:
        _print(records, ingest.planned(records), fmt, dry_run=True)
        return
    settings = config.load()
    if use_bulk:
        _print(records, bulk.load(settings, records), fmt, dry_run=False)
        return
    total = sum(records.counts().values())
    with db.connect(settings) as drv:
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not sys.stderr.isatty(),
        )
        with progress:
            task = progress.add_task(f"ingest {records.source}", total=total)
            summary = ingest.write(drv, records, batch_size, on_batch=lambda _, n: progress.advance(task, n))
    _print(records, summary, fmt, dry_run=False)


def _print(records: Records, summary: dict[str, ingest.Tally], fmt: Format, dry_run: bool) -> None:
    counts = records.counts()
    rows = []
    for entity in ENTITIES:
        t = summary.get(entity, ingest.Tally())
        row: dict[str, object] = {"entity": entity, "rows": counts[entity]}
        if not dry_run:
            row |= {"created": t.created, "updated": t.updated, "unchanged": t.unchanged}
        row["skipped"] = t.skipped
        if fmt is not Format.table:
            row["reasons"] = t.reasons
        rows.append(row)
    title = f"{records.source}: {'dry run, nothing written' if dry_run else 'written'}"
    emit(rows, fmt, title=title)
    if fmt is Format.table:
        for entity in ENTITIES:
            for reason in summary.get(entity, ingest.Tally()).reasons:
                print(f"skipped {entity}: {reason}")


@app.command("paper-zoo")
def paper_zoo_cmd(
    path: Path | None = typer.Option(
        None, "--path", help="Folder holding image_classification/ and sequence_classification/ (offline)."
    ),
    modality: list[Modality] = typer.Option(
        [Modality.image, Modality.text], "--modality", "-m", help="Which half of the zoo (repeatable)."
    ),
    base_url: str = typer.Option(
        paper_zoo.DEFAULT_BASE_URL, "--url", help="Where to download the bundle from."
    ),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    fmt: Format = FormatOpt,
) -> None:
    """The paper's public zoo, both modalities; downloaded once and cached unless --path is given.

    Example: tg ingest paper-zoo --path ../shared/data/transfergraph-zoo
    """
    settings = config.load()

    def load() -> Records:
        root = path or settings.zoo_path or paper_zoo.fetch(settings.cache_dir, base_url)
        return paper_zoo.load(root, tuple(m.value for m in modality))

    _run(load, batch_size, dry_run, fmt, use_bulk)


@app.command("runs")
def runs_cmd(
    file: Path = typer.Argument(..., help="CSV, JSONL or Parquet export of fine-tuning runs."),
    modality: Modality = ModalityOpt,
    model_col: str = typer.Option(..., "--model-col", help="Column with the model's hub id."),
    dataset_col: str = typer.Option(..., "--dataset-col", help="Column with the fine-tuning dataset."),
    accuracy_col: str = typer.Option(..., "--accuracy-col", help="Column with the accuracy (0..1)."),
    run_id_col: str | None = typer.Option(None, "--run-id-col", help="Column with a unique run id."),
    peft_col: str | None = typer.Option(
        None, "--peft-col", help="Column naming the PEFT method (empty = full)."
    ),
    timestamp_col: str | None = typer.Option(None, "--timestamp-col", help="Column with the run's time."),
    hparam_col: list[str] = typer.Option(
        [], "--hparam-col", help="Hyper-parameter column to keep (repeatable)."
    ),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Fine-tuning history from an experiment tracker's export, with a column mapping.

    Example: tg ingest runs runs.csv --modality image --model-col model --dataset-col ds --accuracy-col acc
    """
    mapping = runs.Mapping(
        model_col, dataset_col, accuracy_col, run_id_col, peft_col, timestamp_col, tuple(hparam_col)
    )
    _run(lambda: runs.load(file, mapping, modality), batch_size, dry_run, fmt, use_bulk)


@app.command("hf-models")
def hf_models_cmd(
    file: Path | None = typer.Option(None, "--file", help="JSONL of Hub model records (offline)."),
    search: str | None = typer.Option(None, "--search", help="Online: Hub search string."),
    pipeline_tag: str | None = typer.Option(
        None, "--pipeline-tag", help="Online: e.g. image-classification."
    ),
    limit: int = typer.Option(1000, "--limit", min=1, help="Online: at most this many models."),
    modality: Modality | None = OptionalModalityOpt,
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Hugging Face model metadata: offline from --file, else online through huggingface_hub.

    Example: tg ingest hf-models --file models.jsonl
    """

    def load() -> Records:
        if file is not None:
            return hf_models.load_file(file, modality)
        return hf_models.load_hub(search, pipeline_tag, limit, modality)

    _run(load, batch_size, dry_run, fmt, use_bulk)
