"""`tg ingest`: bulk zoo ingestion jobs (paper zoo, fine-tuning runs, Hugging Face metadata)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import typer

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
from transfergraph.errors import cut_echoes
from transfergraph.ingest import bulk
from transfergraph.ingest import state as states
from transfergraph.ingest.bulk import columnar, columnar_hf, combined
from transfergraph.ingest.state import State
from transfergraph.loaders import hf_models, paper_zoo, runs, storable
from transfergraph.loaders.records import ENTITIES, InvalidInput, Problem, Records
from transfergraph.output import emit, progress
from transfergraph.sync import sources

app = typer.Typer(
    help="Load a zoo source into the graph (idempotent: re-runs change nothing).", no_args_is_help=True
)


def load_all(loads: Iterable[Callable[[], Records]]) -> list[Records]:
    """Read and validate every file (loader checks and `storable.check`) before anything is
    written; InvalidInput lists the problems of all of them, in file order."""
    parts: list[Records] = []
    problems: list[Problem] = []
    for load in loads:
        try:
            parts.append(storable.check(load()))  # nothing Neo4j would refuse reaches a writer
        except InvalidInput as e:
            problems += e.problems
    if problems:
        raise InvalidInput(problems)
    return parts


FullOpt = typer.Option(
    False, "--full", help="Read the files even when their content is as last ingested (default: skip them)."
)


def _unchanged(source: tuple[str, dict[str, Any]] | None, full: bool, fmt: Format) -> State | None:
    """The state a file source will save once written (None: not incremental); exits with a one-line
    note when its files and options are as last ingested (`--full` reads them all the same)."""
    if source is None:
        return None
    settings = config.load()
    with db.connect(settings) as drv:
        new, same = sources.file_state(drv, settings, *source)
    if same and not full:
        note = "same content and options as last ingested"
        _print_source(sources.SourceResult(source[0], source[0], True, 0, {}, {}, (), 0.0, note), fmt)
        raise typer.Exit(0)
    return new


def _save(new: State | None) -> None:
    """Record a file source's state, after its writes succeeded (a failure before re-reads it)."""
    if new is not None:
        with db.connect(config.load()) as drv:
            states.save(drv, new)


def _run(
    load: Callable[[], list[Records]],
    batch_size: int,
    dry_run: bool,
    fmt: Format,
    use_bulk: bool = False,
    source: tuple[str, dict[str, Any]] | None = None,
    full: bool = False,
) -> None:
    """Load and validate every file, then write them (in order; --bulk: one import), then print the
    summary: one per call, rows and tallies summed over the files. `source` (kind, options): skip
    files as last ingested unless `full`, and record their state once written."""
    if use_bulk and not dry_run:
        bulk.check_empty(config.load())  # refuse before reading a large file
    new_state = None if dry_run or use_bulk else _unchanged(source, full, fmt)
    if use_bulk and not dry_run and source is not None:
        with db.connect(config.load()) as drv:
            new_state = sources.file_state(drv, config.load(), *source)[0]
    try:
        parts = load()
    except InvalidInput as e:
        for problem in e.problems:
            print(f"error: {cut_echoes(str(problem))}", file=sys.stderr)
        print(f"error: {len(e.problems)} problem(s); nothing was written", file=sys.stderr)
        raise typer.Exit(2) from None
    records = bulk.merge(parts)
    counts = {e: sum(part.counts()[e] for part in parts) for e in ENTITIES}
    for note in records.notes:
        print(f"note: {note}", file=sys.stderr)
    if dry_run:
        _print(records.source, counts, ingest.planned(records), fmt, dry_run=True)
        return
    settings = config.load()
    if use_bulk:
        _print(records.source, counts, bulk.load(settings, parts, checked=True), fmt, dry_run=False)
        _save(new_state)
        return
    summary = ingest.planned(records)  # the skipped rows, once; written rows are added per file
    with db.connect(settings) as drv, progress() as bar:
        task = bar.add_task(f"ingest {records.source}", total=sum(counts.values()))
        for part in parts:
            written = ingest.write(
                drv, part, batch_size, on_batch=lambda _, n: bar.advance(task, n), checked=True
            )
            for entity, tally in written.items():
                summary.setdefault(entity, ingest.Tally()).add_written(tally)
    _save(new_state)
    _print(records.source, counts, summary, fmt, dry_run=False)


def _print(
    source: str, counts: dict[str, int], summary: dict[str, ingest.Tally], fmt: Format, dry_run: bool
) -> None:
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
    title = f"{source}: {'dry run, nothing written' if dry_run else 'written'}"
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
        paper_zoo.DEFAULT_BASE_URL,
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
    settings = config.load()

    def load() -> list[Records]:
        root = path or settings.zoo_path or paper_zoo.fetch(settings.cache_dir, base_url)
        return load_all([lambda: paper_zoo.load(root, tuple(m.value for m in modality))])

    zoo = {"path": str(path) if path else None, "modalities": [m.value for m in modality]}
    _run(load, batch_size, dry_run, fmt, use_bulk, ("paper-zoo", zoo), full)


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
    mapping = runs.Mapping(
        model_col, dataset_col, accuracy_col, run_id_col, peft_col, timestamp_col, tuple(hparam_col)
    )
    # large CSV (and JSONL) files: read, checked and written column-wise in one streamed pass
    # (without --bulk: read column-wise into Records); anything unusual (or invalid) hands over to
    # the row-by-row path below, which explains it
    if use_bulk and not dry_run:
        prepare = _columnar_bulk(files, mapping, modality.value, hf_models_file)
        if prepare is not None and _loaded_columnar(prepare, fmt):
            return
    run_loads = [partial(runs.load, f, mapping, modality) for f in files]
    hf_loads = [partial(hf_models.load_file, f, None) for f in hf_models_file]  # modality: pipeline_tag

    def load() -> list[Records]:
        run_parts: list[Records] | None = None
        hf_parts: list[Records] | None = None
        if dry_run or not use_bulk:  # read column-wise, proven storable: no check
            if columnar.wanted(files, mapping):
                run_parts = columnar.records(files, mapping, modality.value)
            hf_parts = _hf_records(hf_models_file, None)
        # the files read row by row, in order: their problems are listed together
        read = load_all([*(run_loads if run_parts is None else []), *(hf_loads if hf_parts is None else [])])
        if run_parts is None:
            run_parts, read = read[: len(files)], read[len(files) :]
        return run_parts + (read if hf_parts is None else hf_parts)

    options = {
        "files": [str(f) for f in files], "modality": modality.value, "model_col": model_col,
        "dataset_col": dataset_col, "accuracy_col": accuracy_col, "run_id_col": run_id_col,
        "peft_col": peft_col, "timestamp_col": timestamp_col, "hparam_cols": list(hparam_col),
    }  # fmt: skip
    # with --hf-models-file the call is two sources in one: read whole, as before
    _run(load, batch_size, dry_run, fmt, use_bulk, None if hf_models_file else ("runs", options), full)


def _loaded_columnar(prepare: Callable[[Path], bulk.Prepared | None], fmt: Format) -> bool:
    """`--bulk` through a columnar pass, then its summary; False (nothing changed) when the pass
    handed the files over to the Records path."""
    done = bulk.load_prepared(config.load(), prepare)
    if done is not None:
        _print(done.source, done.counts, done.summary, fmt, dry_run=False)
    return done is not None


def _columnar_bulk(
    files: list[Path], mapping: runs.Mapping, modality: str, hf_files: list[Path]
) -> Callable[[Path], bulk.Prepared | None] | None:
    """The columnar `--bulk` pass for run files (and Hub records after them), if these files want it:
    all of them or none (then the Records path takes them all)."""
    if not columnar.wanted(files, mapping):
        return None
    if not hf_files:
        return partial(columnar.runs, files, mapping, modality)
    if not columnar_hf.wanted(hf_files):
        return None
    return partial(combined.runs_and_hf_models, files, mapping, modality, hf_files)


def _hf_records(files: list[Path], modality: str | None) -> list[Records] | None:
    """Large Hub record files read column-wise into the row loader's Records, proven storable (at 1M
    records 11 s and 1.9 GiB instead of 65 s and 3.3 GiB); None: read them row by row (small, or
    unusual: the row loader explains it)."""
    return columnar_hf.records(files, modality) if columnar_hf.wanted(files) else None


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
    if file and use_bulk and not dry_run and columnar_hf.wanted(file):
        # large JSONL files: read, checked and written column-wise (as runs_cmd does); anything
        # unusual (or invalid) hands over to the Records path below, which explains it
        prepare = partial(columnar_hf.hf_models, file, modality.value if modality else None)
        if _loaded_columnar(prepare, fmt):
            return

    def load() -> list[Records]:
        if file and (dry_run or not use_bulk):
            parts = _hf_records(file, modality.value if modality else None)
            if parts is not None:
                return parts
        if file:
            return load_all([partial(hf_models.load_file, f, modality) for f in file])
        return load_all([partial(hf_models.load_hub, search, pipeline_tag, limit, modality)])

    hf = {"files": [str(f) for f in file], "modality": modality.value if modality else None}
    _run(load, batch_size, dry_run, fmt, use_bulk, ("hf-models", hf) if file else None, full)


@app.command("fingerprints")
def fingerprints_cmd(
    file: Path = typer.Argument(..., metavar="FILE", help="A fingerprint file (JSON lines, README)."),
    batch_size: int = BatchOpt,
    dry_run: bool = DryRunOpt,
    full: bool = FullOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Datasets' probe embeddings shared by someone else (`tg dataset export-fingerprints`): each
    dataset is placed in its probe's space, with a SIMILAR_TO distance to every dataset embedded here
    with the same probe. Datasets not in the graph are added.

    Example: tg ingest fingerprints zoo_fingerprints.jsonl
    """
    from transfergraph.userdata import fingerprints

    def load() -> list[Records]:
        with db.connect(config.load()) as drv:  # the file's distances to what is embedded here
            return load_all([lambda: fingerprints.records(drv, file)])

    _run(load, batch_size, dry_run, fmt, source=("fingerprints", {"files": [str(file)]}), full=full)


def _print_source(result: sources.SourceResult, fmt: Format, dry_run: bool = False) -> None:
    """A source's summary as `tg ingest` prints it; an unchanged source says so in one line."""
    if result.unchanged:
        if fmt is Format.json:
            emit([{"source": result.name, "status": "unchanged", "note": result.note}], fmt)
        else:
            print(f"{result.name}: unchanged ({result.note}); nothing written (--full reads it all again)")
        return
    _print(result.name, result.rows, result.written, fmt, dry_run=dry_run)


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
    from transfergraph.api import TransferGraph
    from transfergraph.loaders import mlflow_runs

    if tracking_uri:
        mlflow_runs.check_reachable(tracking_uri)  # in a second, before Neo4j and mlflow's imports
    with TransferGraph() as tg:
        result = tg.ingest_mlflow(
            experiment, model_param=model_param, dataset_param=dataset_param, metric=metric,
            modality=modality.value, tracking_uri=tracking_uri, hparams=hparam, statuses=status,
            full=full, dry_run=dry_run, batch_size=batch_size,
        )  # fmt: skip
    if report is not None:
        lines = ["experiment\trun_id\treason", *("\t".join(r) for r in result.report)]
        report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _print_source(result, fmt, dry_run)
