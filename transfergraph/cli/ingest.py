"""`tg ingest`: bulk zoo ingestion jobs (paper zoo, fine-tuning runs, Hugging Face metadata)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from transfergraph.choices import Format, Modality
from transfergraph.cli.options import (
    BatchOpt,
    BulkOpt,
    DryRunOpt,
    FormatOpt,
    ModalityOpt,
    OptionalModalityOpt,
)
from transfergraph.errors import InvalidInput, cut_echoes
from transfergraph.output import emit, emit_record, progress

if TYPE_CHECKING:
    from transfergraph.api import CardsResult, IngestResult, Progress, TransferGraph

app = typer.Typer(
    help="Load a zoo source into the graph (idempotent: re-runs change nothing).", no_args_is_help=True
)


def ingest(call: Callable[[TransferGraph, Progress], IngestResult], fmt: Format) -> None:
    """One API call with a progress bar, then its summary; a validation failure lists every
    problem, one line each, before the one-line error."""
    print_result(run_ingest(call), fmt)


def run_ingest(call: Callable[[TransferGraph, Progress], IngestResult]) -> IngestResult:
    """`ingest` without the summary: the call's result."""
    from transfergraph.api import TransferGraph

    try:
        with TransferGraph() as tg, progress() as bar:

            def start(description: str, total: int) -> Callable[[int], None]:
                task = bar.add_task(description, total=total)
                return lambda n: bar.advance(task, n)

            done = call(tg, start)
    except InvalidInput as e:
        for problem in e.problems:
            print(f"error: {cut_echoes(str(problem))}", file=sys.stderr)
        print(f"error: {len(e.problems)} problem(s); nothing was written", file=sys.stderr)
        raise typer.Exit(2) from None
    return done


FullOpt = typer.Option(
    False, "--full", help="Read the source even when it is as last ingested (default: skip what is not new)."
)


def print_result(done: IngestResult, fmt: Format) -> None:
    if done.unchanged:  # incremental: nothing new, nothing read or written
        if fmt is Format.table:
            print(f"{done.source}: unchanged ({done.note}); nothing written (--full reads it all again)")
        else:
            emit([{"source": done.source, "status": "unchanged", "note": done.note}], fmt)
        return
    for note in done.notes:
        print(f"note: {note}", file=sys.stderr)
    rows = entity_rows(done, fmt)
    title = f"{done.source}: {'dry run, nothing written' if done.dry_run else 'written'}"
    emit(rows, fmt, title=title)
    if fmt is Format.table:
        for t in done:
            for reason in t.reasons:
                print(f"skipped {t.entity}: {reason}")


def entity_rows(done: IngestResult, fmt: Format) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for t in done:
        row: dict[str, Any] = {"entity": t.entity, "rows": t.rows}
        if not done.dry_run:
            row |= {"created": t.created, "updated": t.updated, "unchanged": t.unchanged}
        row["skipped"] = t.skipped
        if fmt is not Format.table:
            row["reasons"] = list(t.reasons)
        rows.append(row)
    return rows


@app.command("paper-zoo")
def paper_zoo_cmd(
    path: Path | None = typer.Option(
        None, "--path", help="Folder holding image_classification/ and sequence_classification/ (offline)."
    ),
    modality: list[Modality] = typer.Option(
        [Modality.image, Modality.text], "--modality", "-m", help="Which half of the zoo (repeatable)."
    ),
    base_url: str | None = typer.Option(
        None,
        "--url",
        show_default=False,  # a URL longer than the help column: click would cut it mid-word
        help="Where to download the bundle from (default: the paper's repository, at a pinned commit).",
    ),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    full: bool = FullOpt,
    fmt: Format = FormatOpt,
) -> None:
    """The paper's public zoo, both modalities; downloaded once and cached unless --path is given.

    Example: tg ingest paper-zoo --path ../shared/data/transfergraph-zoo
    """
    ingest(
        lambda tg, bar: tg.ingest_paper_zoo(
            path,
            modalities=[m.value for m in modality],
            url=base_url,
            batch_size=batch_size,
            dry_run=dry_run,
            bulk=use_bulk,
            progress=bar,
            full=full,
        ),
        fmt,
    )


@app.command("runs")
def runs_cmd(
    files: list[Path] = typer.Argument(
        ...,
        metavar="FILE...",
        help="CSV, JSONL or Parquet exports of fine-tuning runs, one or more (read as one load).",
    ),
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
    hf_models_file: list[Path] = typer.Option(
        [],
        "--hf-models-file",
        metavar="MODELS.jsonl",
        help="Hub model records (as `tg ingest hf-models --file`) loaded after the runs in the same "
        "call; with --bulk: one import (repeatable).",
    ),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    full: bool = FullOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Fine-tuning history from an experiment tracker's export, with a column mapping.

    Several files are validated first, then written as one load (with --bulk: one import).

    Example: tg ingest runs runs.csv --modality image --model-col model --dataset-col ds --accuracy-col acc
    """
    ingest(
        lambda tg, bar: tg.ingest_runs(
            files,
            modality=modality.value,
            model_col=model_col,
            dataset_col=dataset_col,
            accuracy_col=accuracy_col,
            run_id_col=run_id_col,
            peft_col=peft_col,
            timestamp_col=timestamp_col,
            hparam_cols=hparam_col,
            hf_models_files=hf_models_file,
            batch_size=batch_size,
            dry_run=dry_run,
            bulk=use_bulk,
            progress=bar,
            full=full,
        ),
        fmt,
    )


@app.command("hf-models")
def hf_models_cmd(
    file: list[Path] = typer.Option(
        [], "--file", help="JSONL of Hub model records (offline; repeatable: read as one load)."
    ),
    search: str | None = typer.Option(None, "--search", help="Online: Hub search string."),
    pipeline_tag: str | None = typer.Option(
        None, "--pipeline-tag", help="Online: e.g. image-classification."
    ),
    limit: int = typer.Option(1000, "--limit", min=1, help="Online: at most this many models."),
    modality: Modality | None = OptionalModalityOpt,
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    full: bool = FullOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Hugging Face model metadata: offline from --file, else online through huggingface_hub.

    Example: tg ingest hf-models --file models.jsonl
    """
    ingest(
        lambda tg, bar: tg.ingest_hf_models(
            file,
            search=search,
            pipeline_tag=pipeline_tag,
            limit=limit,
            modality=None if modality is None else modality.value,
            batch_size=batch_size,
            dry_run=dry_run,
            bulk=use_bulk,
            progress=bar,
            full=full,
        ),
        fmt,
    )


@app.command("fingerprints")
def fingerprints_cmd(
    file: Path = typer.Argument(..., metavar="FILE", help="A fingerprint file (JSON lines, docs/design.md)."),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Datasets' probe embeddings shared by someone else (`tg dataset export-fingerprints`): each
    dataset is placed in its probe's space, with a SIMILAR_TO distance to every dataset embedded here
    with the same probe. Datasets not in the graph are added.

    Example: tg ingest fingerprints zoo_fingerprints.jsonl
    """
    ingest(
        lambda tg, bar: tg.ingest_fingerprints(file, batch_size=batch_size, dry_run=dry_run, progress=bar),
        fmt,
    )


@app.command("model-cards")
def model_cards_cmd(
    paths: list[Path] = typer.Argument(
        None,
        metavar="[FILE|FOLDER]...",
        help="JSONL files of Hub records (card_data with base_model and model-index) and folders of "
        "cards laid out OWNER/NAME/README.md (offline; read as one load).",
        show_default=False,
    ),
    hub: bool = typer.Option(False, "--hub", help="Online: read cards from the Hub (huggingface_hub)."),
    search: str | None = typer.Option(None, "--search", help="Online: Hub search string."),
    pipeline_tag: str | None = typer.Option(
        None, "--pipeline-tag", help="Online: e.g. image-classification."
    ),
    limit: int = typer.Option(1000, "--limit", min=1, help="Online: at most this many models."),
    metric: list[str] = typer.Option(
        ["accuracy"], "--metric", help="Metric type a result must report to become a run (repeatable)."
    ),
    modality: Modality | None = typer.Option(
        None, "--modality", help="Keep one modality (else both, from each result's task type)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Only cards last modified at or after this ISO date (e.g. 2024-01-31)."
    ),
    report: Path | None = typer.Option(
        None, "--report", metavar="FILE", help="Write every skipped card and result with its reason (TSV)."
    ),
    full: bool = FullOpt,
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    use_bulk: bool = BulkOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Fine-tuning runs from Hugging Face model cards: each model-index result with the chosen metric
    is a run of the card's base model on the result's dataset (docs/model-cards.md).

    Example: tg ingest model-cards cards/ hub_records.jsonl --report skipped.tsv
    """
    if not paths and not hub:
        raise typer.BadParameter("name a JSONL file or a folder of cards, or pass --hub")
    found: list[CardsResult] = []

    def call(tg: TransferGraph, bar: Progress) -> IngestResult:
        found.append(
            tg.ingest_model_cards(
                list(paths or []), hub=hub, search=search, pipeline_tag=pipeline_tag, limit=limit,
                metrics=metric, modality=modality.value if modality else None, since=since, report=report,
                full=full,
                batch_size=batch_size, dry_run=dry_run, bulk=use_bulk, progress=bar,
            )
        )  # fmt: skip
        return found[0].ingest

    done = run_ingest(call)
    if done.unchanged or fmt is not Format.json:
        print_result(done, fmt)
        if not done.unchanged:
            emit(found[0].account(), fmt, title="cards and results read, by outcome")
        if found[0].last_modified and fmt is Format.table:
            print(f"latest card read: last modified {found[0].last_modified}")
        return
    for note in done.notes:  # one JSON document: the entities, the account of every card, the date
        print(f"note: {note}", file=sys.stderr)
    emit_record(
        {"source": done.source, "entities": entity_rows(done, fmt), "account": found[0].account(),
         "last_modified": found[0].last_modified},
        fmt,
    )  # fmt: skip


@app.command("mlflow")
def mlflow_cmd(
    experiment: list[str] = typer.Option(
        ..., "--experiment", "-e", help="MLflow experiment name (repeatable)."
    ),
    model_param: str = typer.Option(..., "--model-param", help="Run param holding the model's hub id."),
    dataset_param: str = typer.Option(..., "--dataset-param", help="Run param holding the dataset id."),
    metric: str = typer.Option(
        ..., "--metric", help="Run metric holding the accuracy (0..1; its final value)."
    ),
    modality: Modality = ModalityOpt,
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="Tracking server or store (default: MLflow's own, MLFLOW_TRACKING_URI)."
    ),
    hparam: list[str] = typer.Option(
        [], "--hparam", help="Run param to keep as a hyper-parameter (repeatable)."
    ),
    status: list[str] = typer.Option(
        ["FINISHED"], "--status", help="Run status to read (repeatable): FINISHED, FAILED, KILLED."
    ),
    full: bool = typer.Option(
        False, "--full", help="Read every run, not only those ended since the last ingest."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write the skipped runs (and why) to FILE."),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Fine-tuning runs from MLflow experiments (the `mlflow` extra): one run per MLflow run, keyed by
    its run id. Incremental: only runs that ended since the last ingest are read (--full: all).

    Example: tg ingest mlflow -e finetune --model-param model --dataset-param ds --metric acc --modality image
    """
    done: list[IngestResult] = []

    def call(tg: TransferGraph, _: Progress) -> IngestResult:
        result = tg.ingest_mlflow(
            experiment, model_param=model_param, dataset_param=dataset_param, metric=metric,
            modality=modality.value, tracking_uri=tracking_uri, hparams=hparam, statuses=status, full=full,
            batch_size=batch_size, dry_run=dry_run,
        )  # fmt: skip
        done.append(result)
        return result

    ingest(call, fmt)
    if report is not None and done:
        lines = ["experiment\trun_id\treason", *("\t".join(r) for r in done[0].skipped_items)]
        report.write_text("\n".join(lines) + "\n", encoding="utf-8")
