"""One `tg ingest` job: read and validate every file of a source, then write them (transactionally, or
with `bulk` one neo4j-admin import into the empty managed database), and tally what happened.

Nothing is written unless every file validates (`InvalidInput` lists the problems of all of them).
Large run files and Hub record files are read column-wise (`bulk.columnar*`): an order of magnitude
less time and memory; anything unusual in them hands over to the row-by-row loaders, which explain it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import neo4j

from transfergraph.config import Settings
from transfergraph.errors import InvalidInput, ParameterError, Problem
from transfergraph.ingest import bulk
from transfergraph.ingest.bulk import columnar, columnar_hf, combined
from transfergraph.ingest.bulk.columnar import Prepared
from transfergraph.ingest.writer import Tally, planned, write
from transfergraph.loaders import hf_models, paper_zoo, runs, storable
from transfergraph.loaders.records import Records
from transfergraph.results import Record, Table
from transfergraph.schema import ENTITIES

# start(description, total) -> advance(n): how a caller shows progress (the CLI: a bar); None: quiet
Progress = Callable[[str, int], Callable[[int], None]]


@dataclass(frozen=True)
class EntityTally(Record):
    """One entity of an ingest: input rows, and what became of them (None in a dry run)."""

    entity: str
    rows: int
    created: int | None
    updated: int | None
    unchanged: int | None
    skipped: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestResult(Table[EntityTally]):
    """What one ingest job read and wrote, one row per entity (models, datasets, runs, ...)."""

    source: str = ""
    dry_run: bool = False
    notes: tuple[str, ...] = ()  # data corrections the loader applied
    # incremental ingest (transfergraph/sync/sources.py): nothing new since the last one, nothing
    # read or written (`note` says why); the datasets whose runs were created or updated; the
    # input items skipped, each with its reason (`tg ingest mlflow --report`)
    unchanged: bool = False
    note: str = ""
    datasets: tuple[str, ...] = ()
    skipped_items: tuple[tuple[str, ...], ...] = ()

    def tally(self, entity: str) -> EntityTally:
        return next(r for r in self.rows if r.entity == entity)


def result(
    source: str, counts: dict[str, int], summary: dict[str, Tally], dry_run: bool, notes: Sequence[str] = ()
) -> IngestResult:
    rows = []
    for entity in ENTITIES:
        t = summary.get(entity, Tally())
        rows.append(
            EntityTally(
                entity, counts.get(entity, 0), None if dry_run else t.created, None if dry_run else t.updated,
                None if dry_run else t.unchanged, t.skipped, tuple(t.reasons),
            )
        )  # fmt: skip
    return IngestResult(tuple(rows), source, dry_run, tuple(notes))


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


@dataclass(frozen=True)
class Job:
    """Where an ingest writes and how: the settings (bulk imports manage their own server), a way to
    the driver (opened only when something is written), and the write options."""

    settings: Settings
    connect: Callable[[], neo4j.Driver]
    batch_size: int = 5000
    dry_run: bool = False
    bulk: bool = False
    progress: Progress | None = None

    def check(self) -> None:
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ParameterError(
                "batch_size", f"must be a whole number of at least 1, got {self.batch_size!r}"
            )

    def run(self, load: Callable[[], list[Records]]) -> IngestResult:
        """Load and validate every file, then write them in order (bulk: one import); rows and
        tallies summed over the files."""
        self.check()
        if self.bulk and not self.dry_run:
            bulk.check_empty(self.settings)  # refuse before reading a large file
        parts = load()
        records = bulk.merge(parts)
        counts = {e: sum(part.counts()[e] for part in parts) for e in ENTITIES}
        if self.dry_run:
            return result(records.source, counts, planned(records), True, records.notes)
        if self.bulk:
            return result(
                records.source, counts, bulk.load(self.settings, parts, checked=True), False, records.notes
            )
        summary = planned(records)  # the skipped rows, once; written rows are added per file
        drv = self.connect()
        advance = self.progress(f"ingest {records.source}", sum(counts.values())) if self.progress else None
        for part in parts:
            on_batch = (lambda _, n: advance(n)) if advance else None
            for entity, tally in write(drv, part, self.batch_size, on_batch=on_batch, checked=True).items():
                summary.setdefault(entity, Tally()).add_written(tally)
        return result(records.source, counts, summary, False, records.notes)

    def run_columnar(self, prepare: Callable[[Path], Prepared | None]) -> IngestResult | None:
        """`bulk` through a columnar pass (it checks the database is empty first); None (nothing
        changed) when the pass handed the files over to the Records path."""
        self.check()
        done = bulk.load_prepared(self.settings, prepare)
        return None if done is None else result(done.source, done.counts, done.summary, False)


def paper_zoo_job(job: Job, path: Path | None, modalities: Sequence[str], url: str) -> IngestResult:
    def load() -> list[Records]:
        root = path or job.settings.zoo_path or paper_zoo.fetch(job.settings.cache_dir, url)
        return load_all([lambda: paper_zoo.load(root, tuple(modalities))])

    return job.run(load)


def runs_job(
    job: Job, files: Sequence[Path], mapping: runs.Mapping, modality: str, hf_files: Sequence[Path] = ()
) -> IngestResult:
    """Fine-tuning runs (and Hub records after them, in the same load): large CSV (and JSONL) files
    read, checked and written column-wise in one streamed pass (without bulk: read column-wise into
    Records); anything unusual (or invalid) hands over to the row-by-row path, which explains it."""
    files, hf_files = list(files), list(hf_files)
    if job.bulk and not job.dry_run:
        prepare = _columnar_bulk(files, mapping, modality, hf_files)
        if prepare is not None:
            done = job.run_columnar(prepare)
            if done is not None:
                return done
    run_loads = [partial(runs.load, f, mapping, modality) for f in files]
    hf_loads = [partial(hf_models.load_file, f, None) for f in hf_files]  # modality: pipeline_tag

    def load() -> list[Records]:
        run_parts: list[Records] | None = None
        hf_parts: list[Records] | None = None
        if job.dry_run or not job.bulk:  # read column-wise, proven storable: no check
            if columnar.wanted(files, mapping):
                run_parts = columnar.records(files, mapping, modality)
            hf_parts = _hf_records(hf_files, None)
        # the files read row by row, in order: their problems are listed together
        read = load_all([*(run_loads if run_parts is None else []), *(hf_loads if hf_parts is None else [])])
        if run_parts is None:
            run_parts, read = read[: len(files)], read[len(files) :]
        return run_parts + (read if hf_parts is None else hf_parts)

    return job.run(load)


def hf_models_job(
    job: Job,
    files: Sequence[Path],
    search: str | None,
    pipeline_tag: str | None,
    limit: int,
    modality: str | None,
) -> IngestResult:
    """Hub model records: offline from JSONL files, else online through huggingface_hub."""
    files = list(files)
    if files and job.bulk and not job.dry_run and columnar_hf.wanted(files):
        done = job.run_columnar(partial(columnar_hf.hf_models, files, modality))
        if done is not None:
            return done

    def load() -> list[Records]:
        if files and (job.dry_run or not job.bulk):
            parts = _hf_records(files, modality)
            if parts is not None:
                return parts
        if files:
            return load_all([partial(hf_models.load_file, f, modality) for f in files])
        return load_all([partial(hf_models.load_hub, search, pipeline_tag, limit, modality)])

    return job.run(load)


def _columnar_bulk(
    files: list[Path], mapping: runs.Mapping, modality: str, hf_files: list[Path]
) -> Callable[[Path], Prepared | None] | None:
    """The columnar bulk pass for run files (and Hub records after them), if these files want it:
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
