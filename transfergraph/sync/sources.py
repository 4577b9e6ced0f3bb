"""Source kinds: what `tg sync` and `tg ingest mlflow` read, one entry each.

A kind names its options (the fields of a job file's `[sources.NAME]` table, with their types), the
key its state is saved under, and how to read it given the saved state. File sources share one
rule (`FileKind`): skipped whole while their content hash and options are the recorded ones.
MLflow reads only the runs that ended after its recorded cursor. Adding a file source is one
`FileKind` entry in `KINDS`.

`ingest` runs one source: read (incrementally unless `full`), validate every record before anything
is written, write, then save the state; the result says what changed, including the datasets whose
runs were created or updated (what `tg sync` refreshes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j

from transfergraph import ingest
from transfergraph.config import Settings
from transfergraph.errors import InvalidInput, Problem, TGError
from transfergraph.ingest import state as states
from transfergraph.loaders import storable
from transfergraph.loaders.records import MODALITIES, Records
from transfergraph.schema import ENTITIES

if TYPE_CHECKING:
    from transfergraph.ingest.jobs import IngestResult


@dataclass(frozen=True)
class Field:
    """One option of a source kind: its type (`str`, `path`, `paths`, `strs`, `modality`,
    `modalities`, `int`), whether a job must give it, and its default."""

    type: str
    required: bool = False
    default: Any = None
    help: str = ""


@dataclass
class Context:
    drv: neo4j.Driver
    settings: Settings


@dataclass
class Read:
    """What reading a source gave: its records (nothing when `unchanged`), the state to save once
    they are written, and the items it skipped (for `--report`)."""

    parts: list[Records]
    state: states.State | None
    unchanged: bool = False
    read: int = 0  # items read from the source (runs, records, files)
    report: list[tuple[str, ...]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class FileKind:
    """A source read from files: skipped whole while their sha256 and the options are as recorded."""

    name: str
    fields: dict[str, Field]
    paths: Callable[[Context, dict[str, Any]], list[Path]]
    load: Callable[[Context, dict[str, Any], list[Path]], list[Records]]
    # options that do not change the records (their paths: left out of the options digest)
    neutral: tuple[str, ...] = ()
    # False: read whole every time, no state (fingerprints: their distances depend on the graph)
    incremental: bool = True

    def key(self, ctx: Context, options: dict[str, Any]) -> str:
        """kind, options digest and content digest: the same rows under another file name are the
        same source (as they are the same runs: cypher/ingest/runs.cypher)."""
        return self.state(ctx, options).key

    def state(self, ctx: Context, options: dict[str, Any]) -> states.State:
        """The state these files and options give."""
        paths = self.paths(ctx, options)
        for path in paths:
            if not path.exists():
                raise InvalidInput([Problem(str(path), None, None, "no such file or folder")])
        shaping = {k: v for k, v in options.items() if k not in self.neutral}
        digest, content = states.options_digest(shaping), states.files_digest(paths)
        key = f"{self.name}:{digest}:{content}"
        return states.State(key, self.name, digest, content, paths=tuple(str(p.resolve()) for p in paths))

    def read(self, ctx: Context, options: dict[str, Any], old: states.State | None) -> Read:
        paths = self.paths(ctx, options)
        if not self.incremental:
            return Read(self.load(ctx, options, paths), None, read=len(paths))
        new = self.state(ctx, options)
        if same(new, old):
            return Read([], new, unchanged=True, note="same content and options")
        return Read(self.load(ctx, options, paths), new, read=len(paths))


def same(new: states.State, old: states.State | None) -> bool:
    """Whether a file source's content was ingested with these options."""
    return old is not None and old.digest == new.digest and old.options == new.options


def file_state(
    drv: neo4j.Driver, settings: Settings, kind_name: str, options: dict[str, Any]
) -> tuple[states.State | None, bool]:
    """For `tg ingest` of a file source: the state it would save (None: not incremental), and
    whether that content was already ingested with these options."""
    kind = KINDS[kind_name]
    assert isinstance(kind, FileKind), kind_name
    if not kind.incremental:
        return None, False
    ctx = Context(drv, settings)
    new = kind.state(ctx, options_of(kind, options))
    return new, same(new, states.load(drv, new.key))


@dataclass(frozen=True)
class MlflowKind:
    """MLflow experiments: the runs that ended after each experiment's recorded cursor."""

    name: str
    fields: dict[str, Field]

    def key(self, ctx: Context, options: dict[str, Any]) -> str:
        from transfergraph.loaders import mlflow_runs

        return f"mlflow:{options.get('tracking_uri') or mlflow_runs.default_uri()}"

    def read(self, ctx: Context, options: dict[str, Any], old: states.State | None) -> Read:
        from transfergraph.loaders import mlflow_runs

        mapping = mlflow_runs.Mapping(
            options["model_param"], options["dataset_param"], options["metric"], tuple(options["hparams"])
        )
        shaping = {k: v for k, v in options.items() if k not in ("experiments", "tracking_uri")}
        digest = states.options_digest(shaping)
        saved = (old.cursors or {}) if old is not None and old.options == digest else {}
        since = {k: mlflow_runs.Cursor.from_json(v) for k, v in saved.items()}
        loaded = mlflow_runs.load(
            options.get("tracking_uri"), options["experiments"], mapping, options["modality"],
            tuple(options["statuses"]), since=since,
        )  # fmt: skip
        cursors = {**saved, **{k: c.as_json() for k, c in loaded.cursors.items()}}
        new = states.State(f"mlflow:{loaded.uri}", self.name, digest, cursors=cursors)
        unchanged = loaded.read == 0
        note = "no run ended since the last read" if unchanged else ""
        return Read([loaded.records], new, unchanged, loaded.read, list(loaded.skipped), note)


Kind = FileKind | MlflowKind


def _paths(name: str) -> Callable[[Context, dict[str, Any]], list[Path]]:
    def paths(_: Context, options: dict[str, Any]) -> list[Path]:
        value = options[name]
        return [Path(v) for v in value] if isinstance(value, list | tuple) else [Path(value)]

    return paths


def _zoo_path(ctx: Context, options: dict[str, Any]) -> list[Path]:
    from transfergraph.loaders import paper_zoo

    root = options.get("path") or ctx.settings.zoo_path or paper_zoo.fetch(ctx.settings.cache_dir)
    return [Path(root)]


def _paper_zoo(_: Context, options: dict[str, Any], paths: list[Path]) -> list[Records]:
    from transfergraph.loaders import paper_zoo

    return [paper_zoo.load(paths[0], tuple(options["modalities"]))]


def _runs(_: Context, options: dict[str, Any], paths: list[Path]) -> list[Records]:
    from transfergraph.loaders import runs

    mapping = runs.Mapping(
        options["model_col"], options["dataset_col"], options["accuracy_col"], options.get("run_id_col"),
        options.get("peft_col"), options.get("timestamp_col"), tuple(options["hparam_cols"]),
    )  # fmt: skip
    return [runs.load(p, mapping, options["modality"]) for p in paths]


def _hf_models(_: Context, options: dict[str, Any], paths: list[Path]) -> list[Records]:
    from transfergraph.loaders import hf_models

    return [hf_models.load_file(p, options.get("modality")) for p in paths]


def _fingerprints(ctx: Context, _: dict[str, Any], paths: list[Path]) -> list[Records]:
    from transfergraph.userdata import fingerprints

    return [fingerprints.records(ctx.drv, p) for p in paths]


def _card_paths(_: Context, options: dict[str, Any]) -> list[Path]:
    return [Path(p) for p in [*(options.get("files") or []), *(options.get("folders") or [])]]


def _model_cards(_: Context, options: dict[str, Any], paths: list[Path]) -> list[Records]:
    """Runs from model cards (`loaders/model_cards.py`): JSONL files of Hub records and folders of
    OWNER/NAME/README.md cards, skipped whole while their content is as last ingested."""
    from transfergraph.loaders import model_cards

    files, folders = options.get("files") or [], options.get("folders") or []
    if not files and not folders:
        raise TGError("a model-cards source names files or folders")
    try:
        rules = model_cards.check_rules(options["metrics"], options.get("modality"), None)
    except ValueError as e:
        raise TGError(str(e)) from None
    records, _tally = model_cards.load([Path(f) for f in files], [Path(f) for f in folders], rules)
    return [records]


_MODALITY = Field("modality", required=True, help="image or text")
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        FileKind(
            "paper-zoo",
            {
                "path": Field(
                    "path", help="folder of the paper's zoo (default: TG_ZOO_PATH, else downloaded)"
                ),
                "modalities": Field("modalities", default=list(MODALITIES)),
            },
            _zoo_path,
            _paper_zoo,
            neutral=("path",),
        ),
        FileKind(
            "runs",
            {
                "files": Field("paths", required=True, help="CSV, JSONL or Parquet files of runs"),
                "modality": _MODALITY,
                "model_col": Field("str", required=True),
                "dataset_col": Field("str", required=True),
                "accuracy_col": Field("str", required=True),
                "run_id_col": Field("str"),
                "peft_col": Field("str"),
                "timestamp_col": Field("str"),
                "hparam_cols": Field("strs", default=[]),
            },
            _paths("files"),
            _runs,
            neutral=("files",),
        ),
        FileKind(
            "hf-models",
            {"files": Field("paths", required=True), "modality": Field("modality")},
            _paths("files"),
            _hf_models,
            neutral=("files",),
        ),
        FileKind(
            "fingerprints",
            {"files": Field("paths", required=True)},
            _paths("files"),
            _fingerprints,
            ("files",),
            incremental=False,
        ),
        FileKind(
            "model-cards",
            {
                "files": Field("paths", help="JSONL of Hub records with card_data"),
                "folders": Field("paths", help="folders of OWNER/NAME/README.md cards"),
                "metrics": Field("strs", default=["accuracy"]),
                "modality": Field("modality"),
            },
            _card_paths,
            _model_cards,
            ("files", "folders"),
        ),
        MlflowKind(
            "mlflow",
            {
                "tracking_uri": Field("str", help="default: MLflow's own (MLFLOW_TRACKING_URI ...)"),
                "experiments": Field("strs", required=True),
                "model_param": Field("str", required=True),
                "dataset_param": Field("str", required=True),
                "metric": Field("str", required=True),
                "hparams": Field("strs", default=[]),
                "modality": _MODALITY,
                "statuses": Field("strs", default=["FINISHED"]),
            },
        ),
    )
}


def options_of(kind: Kind, given: dict[str, Any]) -> dict[str, Any]:
    """`given` with the kind's defaults filled in (the job parser has checked names and types)."""
    return {name: given.get(name, f.default) for name, f in kind.fields.items()} | {
        k: v for k, v in given.items() if k not in kind.fields
    }


@dataclass(frozen=True)
class SourceResult:
    """What ingesting one source did. `unchanged`: nothing new, nothing read or written."""

    name: str
    kind: str
    unchanged: bool
    read: int
    rows: dict[str, int]  # per entity: records the source gave
    written: dict[str, ingest.Tally]
    datasets: tuple[str, ...]  # datasets whose runs were created or updated, sorted
    seconds: float
    note: str = ""
    report: tuple[tuple[str, ...], ...] = ()

    @property
    def runs_changed(self) -> int:
        t = self.written.get("runs")
        return 0 if t is None else t.created + t.updated

    def row(self) -> dict[str, Any]:
        """One summary line: the source, and its runs and nodes created / updated."""
        runs = self.written.get("runs", ingest.Tally())
        nodes = [self.written.get(e, ingest.Tally()) for e in ("models", "datasets")]
        return {
            "source": self.name, "kind": self.kind,
            "status": "unchanged" if self.unchanged else "written",
            "runs_created": runs.created, "runs_updated": runs.updated,
            "runs_skipped": runs.skipped, "nodes_created": sum(t.created for t in nodes),
            "datasets_changed": len(self.datasets), "seconds": round(self.seconds, 2), "note": self.note,
        }  # fmt: skip

    def ingest_result(self, dry_run: bool = False) -> IngestResult:
        """As the facade's `ingest_*` methods return it."""
        from dataclasses import replace

        from transfergraph.ingest.jobs import result

        done = result(self.name, self.rows, self.written, dry_run)
        return replace(done, unchanged=self.unchanged, note=self.note, datasets=self.datasets,
                       skipped_items=self.report)  # fmt: skip

    def frame(self) -> Any:
        """One row per entity: rows, created, updated, unchanged, skipped (as `tg ingest` prints)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"entity": e, "rows": self.rows.get(e, 0), "created": t.created, "updated": t.updated,
                 "unchanged": t.unchanged, "skipped": t.skipped}
                for e in ENTITIES
                for t in [self.written.get(e, ingest.Tally())]
            ]
        )  # fmt: skip


def ingest_source(
    ctx: Context,
    kind_name: str,
    options: dict[str, Any],
    *,
    name: str | None = None,
    full: bool = False,
    dry_run: bool = False,
    batch_size: int = 5000,
    on_batch: Callable[[str, int], None] | None = None,
) -> SourceResult:
    """Read one source (only what is new or changed unless `full`), validate all of it, write it,
    then record its state. InvalidInput (nothing written) for a bad record; the state is saved only
    after every write succeeded. `dry_run`: read and validate, write nothing (not the state)."""
    start = time.monotonic()
    kind = KINDS[kind_name]
    options = options_of(kind, options)
    old = None if full else states.load(ctx.drv, kind.key(ctx, options))
    got = kind.read(ctx, options, old)
    label = name or kind_name
    if got.unchanged:
        return SourceResult(label, kind_name, True, got.read, {}, {}, (), time.monotonic() - start, got.note,
                            tuple(got.report))  # fmt: skip
    parts = check_all(got.parts)
    if dry_run:
        rows = {e: sum(p.counts()[e] for p in parts) for e in ENTITIES}
        took = time.monotonic() - start
        return SourceResult(label, kind_name, False, got.read, rows, skips(parts), (), took,
                            "dry run, nothing written", tuple(got.report))  # fmt: skip
    written = write_parts(ctx.drv, parts, batch_size, on_batch)
    if got.state is not None:
        states.save(ctx.drv, got.state)  # only now: a failure above re-reads the source next time
    rows = {e: sum(p.counts()[e] for p in parts) for e in ENTITIES}
    changed = tuple(sorted(written.get("runs", ingest.Tally()).datasets))
    return SourceResult(label, kind_name, False, got.read, rows, written, changed, time.monotonic() - start,
                        got.note, tuple(got.report))  # fmt: skip


def check_all(parts: Sequence[Records]) -> list[Records]:
    """Every part checked for what Neo4j would refuse; InvalidInput lists all problems."""
    problems: list[Problem] = []
    for part in parts:
        problems += storable.problems_in(part)
    if problems:
        raise InvalidInput(problems)
    return list(parts)


def write_parts(
    drv: neo4j.Driver, parts: Sequence[Records], batch_size: int, on_batch: Callable[[str, int], None] | None
) -> dict[str, ingest.Tally]:
    summary = skips(parts)
    for part in parts:
        for entity, tally in ingest.write(drv, part, batch_size, on_batch=on_batch, checked=True).items():
            summary.setdefault(entity, ingest.Tally()).add_written(tally)
    return summary


def skips(parts: Sequence[Records]) -> dict[str, ingest.Tally]:
    """The parts' skipped input rows per entity, with their reasons (nothing written yet)."""
    summary: dict[str, ingest.Tally] = {}
    for part in parts:
        for entity, tally in ingest.planned(part).items():
            target = summary.setdefault(entity, ingest.Tally())
            target.skipped += tally.skipped
            target.reasons += tally.reasons
    return summary
