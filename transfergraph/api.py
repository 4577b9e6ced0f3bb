"""The Python API: one object a notebook holds, with a method per `tg` command. Every command of the
CLI is a thin layer over a method here (parse options, one call, format the result).

    from transfergraph import TransferGraph

    with TransferGraph() as tg:                  # the managed server, NEO4J_URI, a URI or a driver
        tg.ingest_runs(frame, modality="image", model_col="model", dataset_col="dataset",
                       accuracy_col="accuracy")
        tg.graph_build()
        tg.predict(method="model-prior")
        tg.recommend("cifar100", top=5)          # a pandas.DataFrame

Arguments are checked at the door: a wrong type or value raises `ParameterError` naming the
parameter, never a TypeError from deep inside. Results are typed (`transfergraph.results`), each
with `.frame()`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from transfergraph import __version__, config, db
from transfergraph.config import Settings, debug
from transfergraph.errors import ParameterError, TGError
from transfergraph.views import PRODUCTION

if TYPE_CHECKING:
    import neo4j
    import pandas as pd

    from transfergraph.embed.store import Embeddings
    from transfergraph.evaluation.intervals import IntervalCoverage
    from transfergraph.evaluation.result import Evaluation
    from transfergraph.graph.build import GraphBuild, GraphStats, ViewList
    from transfergraph.ingest.cards import CardsResult
    from transfergraph.ingest.jobs import IngestResult, Progress
    from transfergraph.predict.run import Predictions
    from transfergraph.readback.recommend import Recommendation
    from transfergraph.sync import SyncResult
    from transfergraph.sync.job import Job
    from transfergraph.userdata.fingerprints import Exported
    from transfergraph.userdata.models import AddedModel
    from transfergraph.userdata.place import PlacedDataset
    from transfergraph.userdata.score import Scores
    from transfergraph.userdata.zoo import ZooResult, ZooRow

__all__ = ["TransferGraph", "__version__", "debug", "parse_param"]


def parse_param(text: str) -> tuple[str, Any]:
    """`NAME=VALUE` for `cypher`'s parameters; VALUE read as JSON when it parses (numbers, true,
    [1,2], "quoted"), else as a string (`tg db cypher --param`)."""
    from transfergraph.errors import InvalidInput
    from transfergraph.loaders.guarded_json import parse_json

    key, sep, raw = text.partition("=")
    if not sep or not key.isidentifier():
        raise ParameterError("param", f"{text!r}: expected NAME=VALUE with NAME a plain identifier")
    try:  # the guarded reader: a 5,000-digit number or deep nesting is one line, not a traceback
        value = parse_json(raw, f"--param {key}", finite=False, exact=False)
    except InvalidInput as e:
        if not e.problems[0].message.startswith("not JSON:"):
            raise TGError(str(e.problems[0])) from None
        value = raw  # not JSON at all: the text itself
    return key, value


E = TypeVar("E", bound=Enum)
R = TypeVar("R")
PathLike = str | Path


# --- argument checks: a bad argument is a ParameterError naming it ------------------------------
def _text(name: str, value: object, *, optional: bool = False) -> str:
    if value is None and optional:
        return value  # type: ignore[return-value]
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(name, f"expected a non-empty string, got {value!r}")
    return value


def _texts(name: str, value: object) -> list[str]:
    """A string or a sequence of strings (a lone string is one item, not its characters)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence | set | frozenset | tuple):
        raise ParameterError(name, f"expected a string or a list of strings, got {value!r}")
    out = list(items)
    for item in out:
        _text(name, item)
    return out


def _whole(name: str, value: object, minimum: int | None = None, *, optional: bool = False) -> int:
    if value is None and optional:
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(name, f"expected a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ParameterError(name, f"must be at least {minimum}")
    return value


def _number(name: str, value: object, *, optional: bool = False) -> float:
    if value is None and optional:
        return value  # type: ignore[return-value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(name, f"expected a number, got {value!r}")
    return float(value)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(name, f"expected True or False, got {value!r}")
    return value


def _choice(name: str, value: object, kind: type[E]) -> E:
    try:
        return kind(value)
    except ValueError:
        raise ParameterError(
            name, f"{value!r}: expected one of {', '.join(str(k.value) for k in kind)}"
        ) from None


def _path(name: str, value: object, *, optional: bool = False) -> Path:
    if value is None and optional:
        return value  # type: ignore[return-value]
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ParameterError(name, f"expected a file or folder path, got {value!r}")
    return Path(value)


def _paths(name: str, value: object) -> list[Path]:
    if value is None:
        return []
    items = [value] if isinstance(value, str | Path) else value
    if not isinstance(items, Sequence):
        raise ParameterError(name, f"expected a path or a list of paths, got {value!r}")
    return [_path(name, v) for v in items]


def _modality(name: str, value: object, *, optional: bool = False) -> str:
    from transfergraph.choices import Modality

    if value is None and optional:
        return value  # type: ignore[return-value]
    return _choice(name, value, Modality).value


class _Unchanged(Exception):
    """A file source as last ingested: nothing to write (`TransferGraph._incremental`)."""


class TransferGraph:
    """A TransferGraph database: the managed local server by default, else NEO4J_URI, `uri`, or an
    existing `neo4j.Driver` (which the caller keeps and closes). The connection opens on first use:
    a dry run or a `--bulk` import needs none. Use it in a `with` block, or call `close()`.

    Parameters
    ----------
    uri: a Bolt URI (`neo4j://`, `bolt://`, `neo4j+s://`), with `password` (and `username`).
    driver: an open `neo4j.Driver` to use instead of connecting (the graphdatascience client's way).
    settings: every other knob (`transfergraph.config.load()` reads them from the environment).
    """

    def __init__(
        self,
        uri: str | None = None,
        *,
        driver: neo4j.Driver | None = None,
        username: str | None = None,
        password: str | None = None,
        settings: Settings | None = None,
    ):
        if uri is not None and driver is not None:
            raise ParameterError("driver", "give a uri or a driver, not both")
        base = settings or config.load()
        if uri is not None:
            _text("uri", uri)
            base = replace(base, uri=uri, username=username or base.username, password=password)
        if driver is None and base.external and base.password is None:
            if uri is None:
                raise TGError("NEO4J_URI is set but NEO4J_PASSWORD is not")
            raise ParameterError(
                "password",
                "required with a uri, as NEO4J_PASSWORD is with NEO4J_URI (the managed "
                "server's password is never sent elsewhere)",
            )
        self.settings = base
        self._driver = driver
        self._connection: Any = None

    @property
    def driver(self) -> neo4j.Driver:
        """The verified driver (connected on first use)."""
        if self._driver is None:
            self._connection = db.connect(self.settings)
            self._driver = self._connection.__enter__()
        return self._driver

    def _call(self, function: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """`function(driver, *args, **kwargs)`, connecting only now: the arguments were checked first."""
        return function(self.driver, *args, **kwargs)

    def close(self) -> None:
        """Close the connection this object opened (a driver it was given stays open)."""
        if self._connection is not None:
            self._connection.__exit__(None, None, None)
            self._connection = self._driver = None

    def __enter__(self) -> TransferGraph:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- the database -------------------------------------------------------------------------
    @staticmethod
    def install_server(*, offline: bool = False, settings: Settings | None = None) -> Path:
        """Resolve the pinned Neo4j, GDS and Browser jars with Maven into the cache (idempotent;
        `offline`: only jars already in ~/.m2). Returns the server's home folder."""
        from transfergraph import server

        return server.install(settings or config.load(), offline=_flag("offline", offline))

    @staticmethod
    def start_server(settings: Settings | None = None) -> bool:
        """Start the managed Neo4j on 127.0.0.1 (installing it first if needed) and wait until Bolt
        accepts our credentials. False when it was already running."""
        from transfergraph import server

        chosen = settings or config.load()
        return server.start(chosen, wait_ready=lambda: db.answers(chosen))

    @staticmethod
    def stop_server(settings: Settings | None = None) -> bool:
        """Stop the managed Neo4j (clean shutdown; killed after 90 s). False when it was not running."""
        from transfergraph import server

        return server.stop(settings or config.load())

    @staticmethod
    def server_log(*, debug: bool = False, settings: Settings | None = None) -> Path:
        """The managed server's neo4j.log (`debug`: debug.log)."""
        from transfergraph import server

        chosen = settings or config.load()
        if chosen.external:
            raise TGError("NEO4J_URI is set: the logs of an external server are on that server")
        files = {p.name: p for p in server.log_files(chosen)}
        path = files.get("debug.log" if _flag("debug", debug) else "neo4j.log") or files.get("console.log")
        if path is None:
            raise TGError(f"no log yet in {server.Paths.of(chosen).logs}: has the server been started?")
        return path

    def status(self) -> dict[str, Any]:
        """Is the server up, and which one.

        Returns
        -------
        dict: running, managed, neo4j_version, edition, gds_version, bolt_uri, browser_url, data_dir,
        pid and the managed folder's privacy; ServerDown when it does not answer.
        """
        from neo4j.exceptions import ClientError

        from transfergraph import server
        from transfergraph.errors import ServerDown

        settings = self.settings
        if not settings.external and server.running_pid(settings) is None:
            raise ServerDown(f"Neo4j is not running at {settings.bolt_uri} (start it with `tg db start`)")
        comp = db.run(self.driver, "db/components")[0]
        try:
            gds = db.run(self.driver, "db/gds_version")[0]["gds_version"]
        except ClientError:
            gds = None
        return {
            "running": True,
            "managed": not settings.external,
            "neo4j_version": comp["neo4j_version"],
            "edition": comp["edition"],
            "gds_version": gds,
            "bolt_uri": settings.bolt_uri,
            "browser_url": settings.browser_url,
            "data_dir": None if settings.external else str(server.Paths.of(settings).data),
            "pid": None if settings.external else server.running_pid(settings),
            # the managed folder: 0700 and nothing in it readable by others (`private`)
            **({} if settings.external else server.privacy(settings)),
        }

    def apply_schema(self) -> list[str]:
        """Create the constraints and indexes of cypher/schema.cypher that do not exist yet.

        Returns
        -------
        list of str: the names of the statements applied (idempotent).
        """
        from transfergraph.ingest import apply_schema

        return apply_schema(self.driver)

    def cypher(self, statement: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a parameterised Cypher statement (values go in `params`, never pasted into the text).

        Parameters
        ----------
        statement: the Cypher statement; params: its parameters by name.

        Returns
        -------
        list of dict: its rows. A Cypher error is one line (TGError).
        """
        from neo4j.exceptions import ClientError

        try:
            records, _, keys = self.driver.execute_query(_text("statement", statement), params or {})
        except ClientError as e:
            first = (e.message or str(e)).splitlines()[0]
            raise TGError(f"Cypher error {e.code}: {first}") from None
        return [dict(zip(keys, r.values(), strict=True)) for r in records]

    # --- ingest ---------------------------------------------------------------------------------
    def _job(self, batch_size: int, dry_run: bool, bulk: bool, progress: Progress | None) -> Any:
        from transfergraph.ingest.jobs import Job

        return Job(
            self.settings,
            lambda: self.driver,
            _whole("batch_size", batch_size, 1),
            _flag("dry_run", dry_run),
            _flag("bulk", bulk),
            progress,
        )

    def ingest_paper_zoo(
        self,
        path: PathLike | None = None,
        *,
        modalities: Sequence[str] = ("image", "text"),
        url: str | None = None,
        batch_size: int = 5000,
        dry_run: bool = False,
        bulk: bool = False,
        progress: Progress | None = None,
        full: bool = False,
    ) -> IngestResult:
        """The paper's public zoo (models, datasets, runs, similarity, LogME, model-card datasets).

        Parameters
        ----------
        path: a folder holding image_classification/ and sequence_classification/ (offline); default
            TG_ZOO_PATH, else downloaded once from `url` into the cache.
        modalities: which halves of the zoo ("image", "text").
        batch_size, dry_run, bulk, progress, full: as for `ingest_runs`.

        Returns
        -------
        IngestResult: per entity rows, created, updated, unchanged, skipped.
        """
        from transfergraph.ingest.jobs import paper_zoo_job
        from transfergraph.loaders import paper_zoo

        chosen = [_modality("modalities", m) for m in _texts("modalities", modalities)]
        job = self._job(batch_size, dry_run, bulk, progress)
        folder = _path("path", path, optional=True)
        source = paper_zoo.DEFAULT_BASE_URL if url is None else _text("url", url)
        options = {"path": str(folder) if folder else None, "modalities": chosen}
        return self._incremental(
            "paper-zoo", options, full, job, lambda j: paper_zoo_job(j, folder, chosen, source)
        )

    def ingest_runs(
        self,
        source: PathLike | Sequence[PathLike] | pd.DataFrame,
        *,
        modality: str,
        model_col: str,
        dataset_col: str,
        accuracy_col: str,
        run_id_col: str | None = None,
        peft_col: str | None = None,
        timestamp_col: str | None = None,
        hparam_cols: Sequence[str] = (),
        hf_models_files: Sequence[PathLike] = (),
        batch_size: int = 5000,
        dry_run: bool = False,
        bulk: bool = False,
        progress: Progress | None = None,
        full: bool = False,
    ) -> IngestResult:
        """Fine-tuning runs from files (CSV, JSONL, Parquet) or a DataFrame, with a column mapping.
        Every file is validated before anything is written (a bad cell raises InvalidInput naming
        file, row and column); a re-run changes nothing.

        Parameters
        ----------
        source: one file, several (read as one load), or a DataFrame.
        modality: "image" or "text".
        model_col, dataset_col, accuracy_col: the columns with the model's hub id, the fine-tuning
            dataset and the accuracy (0..1).
        run_id_col, peft_col, timestamp_col, hparam_cols: optional columns (a unique run id, the PEFT
            method, the run's time, hyper-parameters to keep).
        hf_models_files: Hub model records (JSONL, as `ingest_hf_models`) loaded after the runs in
            the same load.
        batch_size: rows per transaction.
        dry_run: validate and tally, write nothing.
        bulk: an initial load into the EMPTY managed database with neo4j-admin import (restarts it).
        progress: `start(description, total) -> advance(n)`, to show progress.
        full: read the files even when their content and mapping are as last ingested (by default
            they are skipped, and the result says `unchanged`; a DataFrame, or runs with
            `hf_models_files`, are always read).

        Returns
        -------
        IngestResult: per entity rows, created, updated, unchanged, skipped.
        """
        import pandas as pd

        from transfergraph.ingest.jobs import runs_job
        from transfergraph.loaders import runs

        mapping = runs.Mapping(
            _text("model_col", model_col),
            _text("dataset_col", dataset_col),
            _text("accuracy_col", accuracy_col),
            _text("run_id_col", run_id_col, optional=True),
            _text("peft_col", peft_col, optional=True),
            _text("timestamp_col", timestamp_col, optional=True),
            tuple(_texts("hparam_cols", hparam_cols)),
        )
        chosen = _modality("modality", modality)
        hf_files = _paths("hf_models_files", hf_models_files)
        job = self._job(batch_size, dry_run, bulk, progress)
        if isinstance(source, pd.DataFrame):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "runs.parquet"
                source.to_parquet(path, index=False)
                return runs_job(job, [path], mapping, chosen, hf_files)
        files = _paths("source", source)
        if not files:
            raise ParameterError("source", "give at least one file (or a DataFrame)")
        if hf_files:  # two sources in one load: read whole
            return runs_job(job, files, mapping, chosen, hf_files)
        options = {
            "files": [str(f) for f in files], "modality": chosen, "model_col": mapping.model,
            "dataset_col": mapping.dataset, "accuracy_col": mapping.accuracy,
            "run_id_col": mapping.run_id, "peft_col": mapping.peft, "timestamp_col": mapping.timestamp,
            "hparam_cols": list(mapping.hparams),
        }  # fmt: skip
        return self._incremental("runs", options, full, job, lambda j: runs_job(j, files, mapping, chosen))

    def ingest_hf_models(
        self,
        files: PathLike | Sequence[PathLike] = (),
        *,
        search: str | None = None,
        pipeline_tag: str | None = None,
        limit: int = 1000,
        modality: str | None = None,
        batch_size: int = 5000,
        dry_run: bool = False,
        bulk: bool = False,
        progress: Progress | None = None,
        full: bool = False,
    ) -> IngestResult:
        """Hugging Face model metadata: offline from JSONL `files` of Hub records, else online
        (`search`, `pipeline_tag`, at most `limit` models) through huggingface_hub (the [hf] extra).
        Trained-on datasets become PRETRAINED_ON edges.

        Returns
        -------
        IngestResult: per entity rows, created, updated, unchanged, skipped.
        """
        from transfergraph.ingest.jobs import hf_models_job

        job = self._job(batch_size, dry_run, bulk, progress)
        paths = _paths("files", files)
        chosen = _modality("modality", modality, optional=True)
        search_text = _text("search", search, optional=True)
        tag, most = _text("pipeline_tag", pipeline_tag, optional=True), _whole("limit", limit, 1)

        def run(j: Any) -> IngestResult:
            return hf_models_job(j, paths, search_text, tag, most, chosen)

        if not paths:  # online: read whole (no cursor kept for Hub queries yet)
            return run(job)
        return self._incremental(
            "hf-models", {"files": [str(p) for p in paths], "modality": chosen}, full, job, run
        )

    def ingest_fingerprints(
        self,
        file: PathLike,
        *,
        batch_size: int = 5000,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> IngestResult:
        """Datasets' probe embeddings shared by someone else (`export_fingerprints`): each dataset is
        placed in its probe's space, with a SIMILAR_TO distance to every dataset embedded here with
        the same probe. Datasets not in the graph are added.

        Returns
        -------
        IngestResult: per entity rows, created, updated, unchanged, skipped.
        """
        from transfergraph.ingest.jobs import load_all
        from transfergraph.userdata import fingerprints

        path = _path("file", file)
        job = self._job(batch_size, dry_run, False, progress)
        return job.run(lambda: load_all([lambda: fingerprints.records(self.driver, path)]))

    def ingest_model_cards(
        self,
        sources: PathLike | Sequence[PathLike] = (),
        *,
        hub: bool = False,
        search: str | None = None,
        pipeline_tag: str | None = None,
        limit: int = 1000,
        metrics: Sequence[str] = ("accuracy",),
        modality: str | None = None,
        since: str | datetime | None = None,
        report: PathLike | None = None,
        full: bool = False,
        batch_size: int = 5000,
        dry_run: bool = False,
        bulk: bool = False,
        progress: Progress | None = None,
    ) -> CardsResult:
        """Fine-tuning runs from Hugging Face model cards (docs/model-cards.md): each model-index
        result with a chosen metric is a run of the card's base model on the result's dataset, and
        the fine-tuned model gets a FINETUNED_FROM edge to its base.

        Parameters
        ----------
        sources: JSONL files of Hub records and folders of OWNER/NAME/README.md cards (offline).
        hub, search, pipeline_tag, limit: read the Hub online (the [hf] extra).
        metrics: the metric types that become runs.
        modality: keep "image" or "text" results only.
        since: read only cards last modified at or after this date (ISO text or datetime).
        report: a TSV file of every skipped card and result, with its reason.
        full: read files and folders even when their content is as last ingested (else a re-run of
            unchanged cards reads and writes nothing and says so; with `hub`, `since` or `report`
            the cards are read every time).
        batch_size, dry_run, bulk, progress: as for `ingest_runs`.

        Returns
        -------
        CardsResult: `.frame()` per entity (rows, created, updated, unchanged, skipped),
        `.account_frame()` every card and result by outcome, `.last_modified` the latest card date
        read (the next call's `since`).
        """
        from transfergraph.ingest.cards import CardsResult, model_cards_job
        from transfergraph.loaders import model_cards

        paths = _paths("sources", sources)
        online = (
            (_text("search", search, optional=True), _text("pipeline_tag", pipeline_tag, optional=True),
             _whole("limit", limit, 1))
            if _flag("hub", hub) else None
        )  # fmt: skip
        chosen_metrics = _texts("metrics", metrics)
        chosen_modality = _modality("modality", modality, optional=True)
        cutoff = since if isinstance(since, datetime) else _text("since", since, optional=True)
        where = _path("report", report, optional=True)
        job = self._job(batch_size, dry_run, bulk, progress)
        read: list[CardsResult] = []

        def run(chosen_job: Any) -> IngestResult:
            read.append(
                model_cards_job(
                    chosen_job, paths, hub=online, metrics=chosen_metrics, modality=chosen_modality,
                    since=cutoff, report=where,
                )
            )  # fmt: skip
            return read[-1].ingest

        if online is not None or cutoff is not None or where is not None:  # read as asked, every time
            run(job)
            return read[-1]
        folders = [str(p) for p in paths if p.is_dir()]
        files = [str(p) for p in paths if not p.is_dir()]
        options = {"files": files, "folders": folders, "metrics": chosen_metrics, "modality": chosen_modality}
        done = self._incremental("model-cards", options, full, job, run)
        return read[-1] if read and not done.unchanged else CardsResult(done, model_cards.Tally())

    def ingest_mlflow(
        self,
        experiments: str | Sequence[str],
        *,
        model_param: str,
        dataset_param: str,
        metric: str,
        modality: str,
        tracking_uri: str | None = None,
        hparams: Sequence[str] = (),
        statuses: Sequence[str] = ("FINISHED",),
        full: bool = False,
        batch_size: int = 5000,
        dry_run: bool = False,
    ) -> IngestResult:
        """Fine-tuning runs from MLflow experiments (the [mlflow] extra): one run per MLflow run,
        keyed by its run id. Incremental: only the runs that ended since the last ingest are read.

        Parameters
        ----------
        experiments: experiment names (an unknown one raises InvalidInput, nothing written).
        model_param, dataset_param: the run params holding the model's hub id and the dataset id.
        metric: the run metric holding the accuracy (its final value, 0..1).
        modality: "image" or "text".
        tracking_uri: a tracking server or store; default MLflow's own (MLFLOW_TRACKING_URI ...).
        hparams: run params kept on the run as hyper-parameters.
        statuses: run statuses read (FINISHED, FAILED, KILLED).
        full: read every run, not only those ended since the last ingest.
        batch_size, dry_run: as for `ingest_runs`.

        Returns
        -------
        IngestResult: per entity rows, created, updated, unchanged, skipped; `unchanged` when no run
        ended since; `datasets` those whose runs changed; `skipped_items` (experiment, run id,
        reason) for the runs without the params or the metric.
        """
        from transfergraph.sync.sources import Context, ingest_source

        uri = _text("tracking_uri", tracking_uri, optional=True)
        options = {
            "tracking_uri": uri, "experiments": _texts("experiments", experiments),
            "model_param": _text("model_param", model_param),
            "dataset_param": _text("dataset_param", dataset_param),
            "metric": _text("metric", metric), "hparams": _texts("hparams", hparams),
            "modality": _modality("modality", modality), "statuses": _texts("statuses", statuses),
        }  # fmt: skip
        if not options["experiments"]:
            raise ParameterError("experiments", "name at least one experiment")
        full, dry_run = _flag("full", full), _flag("dry_run", dry_run)
        batch = _whole("batch_size", batch_size, 1)
        if uri is not None:
            from transfergraph.loaders import mlflow_runs

            mlflow_runs.check_reachable(uri)  # in a second, before Neo4j (and mlflow's imports)
        done = ingest_source(
            Context(self.driver, self.settings), "mlflow", options, name=f"mlflow {uri}" if uri else "mlflow",
            full=full, dry_run=dry_run, batch_size=batch,
        )  # fmt: skip
        return done.ingest_result(dry_run)

    def sync(
        self,
        job: PathLike | Job,
        *,
        wait: float = 0.0,
        full: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> SyncResult:
        """Run a sync job (a TOML job file, docs/sync.md): every source ingested incrementally under
        the graph's lock, then the production view and predictions refreshed where runs changed.

        Parameters
        ----------
        job: the job file (or a parsed `transfergraph.sync.job.Job`).
        wait: seconds to wait for another sync's lock (else `transfergraph.sync.lock.Busy`).
        full: read every source whole.
        log: called with a line per step (the CLI prints them).

        Returns
        -------
        SyncResult: `.rows()` / `.frame()` one row per source; `.failures` the sources that wrote
        nothing, each with its one-line error; `.refreshed` what was re-predicted; `.ok`.
        """
        from transfergraph.sync import sync
        from transfergraph.sync.job import Job

        chosen = job if isinstance(job, Job) else _path("job", job)
        seconds = _number("wait", wait)
        if seconds < 0:
            raise ParameterError("wait", f"must be at least 0, got {wait!r}")
        return sync(self.driver, self.settings, chosen, wait=seconds, full=_flag("full", full),
                    log=log or (lambda _: None))  # fmt: skip

    def _incremental(
        self, kind: str, options: dict[str, Any], full: bool, job: Any, run: Callable[[Any], IngestResult]
    ) -> IngestResult:
        """`run(job)` for a file source, writing only when its content or options changed since it
        was last ingested (`full`: all the same); its state recorded once written
        (transfergraph/ingest/state.py). The files are read and validated first, as always, so a bad
        file is refused before any connection; the state is looked up where the job connects."""
        from transfergraph.ingest import state as states
        from transfergraph.ingest.jobs import result
        from transfergraph.sync.sources import file_state

        full = _flag("full", full)
        if job.dry_run or job.bulk:  # a bulk import records no state: the next run reads the files
            return run(job)
        found: dict[str, Any] = {}

        def connect() -> neo4j.Driver:
            new, same = file_state(self.driver, self.settings, kind, options)
            if same and not full:
                raise _Unchanged
            found["state"] = new
            return self.driver

        try:
            done = run(replace(job, connect=connect))
        except _Unchanged:
            return replace(result(kind, {}, {}, False), unchanged=True,
                           note="same content and options as last ingested")  # fmt: skip
        if found.get("state") is not None:
            states.save(self.driver, found["state"])
        return done

    # --- the learning graph ---------------------------------------------------------------------
    def graph_build(
        self,
        targets: str | Sequence[str] | None = None,
        *,
        view: str | None = None,
        thresholds: Sequence[str] = (),
        runs: str = "full",
        aggregate: str = "mean",
        pretrained: bool = True,
        logme: bool = False,
    ) -> GraphBuild:
        """Derive views' edges in Cypher from the raw facts (a view that exists is replaced).

        Parameters
        ----------
        targets: hide this dataset's fine-tuning runs (several: one view per target); None: the
            production view 'all', on all history.
        view: the view's name (default 'all', or 'without:TARGET'); only with one target.
        thresholds: NAME=VALUE overrides (accuracy_pos, accuracy_neg, transfer_pos, transfer_neg,
            similarity).
        runs: which fine-tuning regime ("full", "peft", "any"); aggregate: repeated runs of a pair
            ("mean", "max", "latest"); pretrained: model-card edges; logme: transferability edges.

        Returns
        -------
        GraphBuild: one row per view, its edge counts by type.
        """
        from transfergraph import graph
        from transfergraph.choices import Aggregate, RunRegime

        chosen: list[str | None] = list(_texts("targets", targets)) or [None]
        if view is not None and len(chosen) > 1:
            raise ParameterError("view", "names one view: give one target with it")
        settings = graph.BuildSettings(
            runs=_choice("runs", runs, RunRegime),
            aggregate=_choice("aggregate", aggregate, Aggregate),
            pretrained=_flag("pretrained", pretrained),
            logme=_flag("logme", logme),
        ).with_thresholds(_texts("thresholds", thresholds))
        names = [graph.view_name(t, _text("view", view, optional=True)) for t in chosen]  # before connecting
        built = [
            graph.BuiltView.of(name, t, graph.build(self.driver, t, name, settings))
            for t, name in zip(chosen, names, strict=True)
        ]
        return graph.GraphBuild(tuple(built))

    def graph_stats(self, view: str = PRODUCTION) -> GraphStats:
        """Per modality: nodes, average degree, dataset-dataset and model-dataset edges of a view,
        beside the paper's figures.

        Returns
        -------
        GraphStats: one row per modality.
        """
        from transfergraph import graph

        name = _text("view", view)
        rows = graph.stats(self.driver, name)
        return graph.GraphStats(tuple(graph.ModalityStats(**r) for r in rows), name)

    def graph_views(self) -> ViewList:
        """The views that exist and how each was built.

        Returns
        -------
        ViewList: one row per view (name, target, modality, edges, built_at, every setting).
        """
        from transfergraph import graph

        return graph.ViewList(tuple(graph.ViewInfo.of(r) for r in graph.views(self.driver)))

    def graph_drop(self, view: str) -> int:
        """Remove a view's derived edges; the raw facts are untouched.

        Parameters
        ----------
        view: the view's name, as `graph_views` lists it.

        Returns
        -------
        int: how many derived edges were removed.
        """
        from transfergraph import graph

        return self._call(graph.drop, _text("view", view))

    # --- embeddings -----------------------------------------------------------------------------
    def embed(
        self,
        method: str = "node2vec",
        *,
        views: str | Sequence[str] | None = None,
        all_views: bool = False,
        dim: int = 128,
        seed: int = 0,
        show_progress: bool = False,
        **options: Any,
    ) -> Embeddings:
        """Embed the nodes of views and store the vectors (re-running replaces what (view, method)
        had stored).

        Parameters
        ----------
        method: node2vec, node2vec-weighted (GDS, in the server); graphsage, gat (PyTorch Geometric,
            the [gnn] extra).
        views: which views (default 'all'); all_views: every view that exists.
        dim: vector dimension; seed: walks, splits and initial weights.
        options: holdout (fraction of positive model-dataset edges hidden for the link-prediction
            AUC), epochs, walk_length, walks_per_node, window, p, q, concurrency (Node2Vec); lr,
            patience, validation (GNN).

        Returns
        -------
        Embeddings: one row per (view, modality): nodes, dim, seed, seconds, AUC.
        """
        from transfergraph import embed as embeddings
        from transfergraph.choices import EmbedMethod
        from transfergraph.embed.store import EmbeddingRun, Embeddings

        chosen = _choice("method", method, EmbedMethod)
        _whole("dim", dim, 1)
        _whole("seed", seed)
        if _flag("all_views", all_views):
            if views is not None:
                raise ParameterError("views", "give views or all_views, not both")
            names = embeddings.views(self.driver)
            if not names:
                raise TGError("no views to embed: build one with `tg graph build`")
        else:
            names = list(dict.fromkeys(_texts("views", views))) or [PRODUCTION]
        rows = [
            EmbeddingRun.of(row)
            for name in names
            for row in embeddings.embed(
                self.driver,
                self.settings,
                name,
                chosen,
                dim=dim,
                seed=seed,
                show_progress=show_progress,
                **{k: v for k, v in options.items() if v is not None},
            )
        ]
        return Embeddings(tuple(rows))

    def embeddings(self) -> Embeddings:
        """The stored embeddings.

        Returns
        -------
        Embeddings: one row per (view, method, modality): nodes, dim, seed, seconds, created_at, AUC.
        """
        from transfergraph import embed as embeddings
        from transfergraph.embed.store import EmbeddingRun, Embeddings

        return Embeddings(tuple(EmbeddingRun.of(r) for r in embeddings.listing(self.driver)))

    # --- predictions ----------------------------------------------------------------------------
    def predict(
        self,
        method: str | None = None,
        *,
        view: str = PRODUCTION,
        seed: int = 0,
        datasets: str | Sequence[str] | None = None,
        top_k: int = 100,
        candidates: int = 1000,
        show_progress: bool = False,
    ) -> Predictions:
        """Fit `method` on the view's training rows and write its PREDICTED edges.

        Parameters
        ----------
        method: a ranker (`tg predict --help` lists them); default per modality the one `evaluate`
            recorded, else model-prior.
        view: the view to train on ('all' = production).
        datasets: refresh only these (after new facts about them).
        top_k: keep per dataset the K best untried and the K best tried models.
        candidates: models per dataset recalled by the prior before the ranker scores them.

        Returns
        -------
        Predictions: one row per modality: predicted, replaced, missing features, fallback, notes.
        """
        from transfergraph.predict.run import predict

        top = _whole("top_k", top_k, 1)
        chosen = _texts("datasets", datasets) or None
        return self._call(
            predict,
            self.settings,
            _text("view", view),
            _text("method", method, optional=True),
            seed=_whole("seed", seed),
            datasets=chosen,
            top_k=top,
            candidates=_whole("candidates", candidates, 1),
            show_progress=_flag("show_progress", show_progress),
        )

    def recommendation(
        self,
        dataset: str,
        *,
        top: int = 10,
        method: str | None = None,
        view: str = PRODUCTION,
        include_tried: bool = False,
        list_tried: bool = False,
        tried_offset: int = 0,
        tried_limit: int = 1000,
        max_params: int | None = None,
        max_memory: int | None = None,
        model_type: str | Sequence[str] = (),
        architecture: str | Sequence[str] = (),
        license: str | Sequence[str] = (),
        exclude: str | Sequence[str] = (),
    ) -> Recommendation:
        """The ranking as a typed result (no pandas: what `tg recommend` prints).

        Parameters
        ----------
        dataset: the dataset's id.
        top: how many models.
        method: whose predictions (default: the one `evaluate` recorded).
        include_tried: rank the models already fine-tuned on the dataset too.
        list_tried: list the tried models in `measured`, best first, `tried_limit` of them from
            `tried_offset` on (their count and the best are always in `tried` and `best_tried`).
        max_params: at most this many parameters.
        max_memory: at most this many bytes of float32 weights (4 bytes x parameters).
        model_type, architecture, license: any of these names (a name or a list; case-insensitive).
        exclude: globs on the model id (`*`, `?`; case-insensitive), a glob or a list.
            A model without the property a filter reads is filtered out. The filters run in the
            query; `filtered` says in one line how many they filtered out and why.

        Returns
        -------
        Recommendation: rows (rank, model, expected accuracy and interval, evidence), the tried
        models' count and best (`tried`, `best_tried`), `filtered`, `columns` (what each number is).
        """
        from transfergraph.readback.filters import model_filter
        from transfergraph.readback.recommend import recommend

        return self._call(
            recommend,
            _text("dataset", dataset),
            top=_whole("top", top, 1),
            method=_text("method", method, optional=True),
            view=_text("view", view),
            exclude_tried=not _flag("include_tried", include_tried),
            list_tried=_flag("list_tried", list_tried),
            tried_offset=_whole("tried_offset", tried_offset, 0),
            tried_limit=_whole("tried_limit", tried_limit, 1),
            filters=model_filter(max_params, max_memory, model_type, architecture, license, exclude),
        )

    def recommend(
        self,
        dataset: str,
        top: int = 10,
        *,
        method: str | None = None,
        view: str = PRODUCTION,
        include_tried: bool = False,
        **filters: Any,
    ) -> pd.DataFrame:
        """The `top` models to fine-tune on `dataset`, best first (`recommendation` as a DataFrame).
        `filters`: max_params, max_memory, model_type, architecture, license, exclude, list_tried,
        tried_offset, tried_limit (see `recommendation`).

        Returns
        -------
        DataFrame: rank, model, expected, low, high, score, measured, ..., evidence; `.attrs` holds
        the method, view, staleness warning, what the filters filtered out and the tried models.
        """
        return self.recommendation(
            dataset, top=top, method=method, view=view, include_tried=include_tried, **filters
        ).frame()

    def evaluate(
        self,
        modality: str,
        *,
        targets: str | Sequence[str] | None = None,
        methods: str | Sequence[str] | None = None,
        seeds: int = 3,
        shots: int | Sequence[int] | None = None,
        draws: int = 5,
        min_models: int = 20,
        similarity: str = "published",
        record: bool = True,
        log: Callable[[str], None] = lambda _: None,
    ) -> Evaluation:
        """The leave-one-target-out protocol: per target, hide its runs (view without:T), train,
        predict, compare with its measured accuracies; baselines on the same models.

        Parameters
        ----------
        modality: "image" or "text".
        targets: datasets (default: the paper's eight); ["auto"]: every dataset with at least
            `min_models` measured models.
        methods: rankers to evaluate beside the baselines (default lr/rf/xgb/xgb-rank+none).
        seeds: seeds per learned method.
        shots, draws: few-shot: reveal K of each target's runs (per draw), rank the rest.
        similarity: "published" (the paper's matrix, then computed distances) or "computed".
        record: the method the choice rule picks becomes `recommend`'s default (never with shots).

        Returns
        -------
        Evaluation: per_target and summary DataFrames, the best method, paired comparisons.
        """
        from transfergraph.evaluation import protocol

        shot_list = [_whole("shots", k, 1) for k in ([shots] if isinstance(shots, int) else shots or [])]
        result = self._call(
            protocol.evaluate,
            self.settings,
            _modality("modality", modality),
            targets=_texts("targets", targets) or None,
            methods=_texts("methods", methods) or None,
            seeds=_whole("seeds", seeds, 1),
            shots=shot_list or None,
            draws=_whole("draws", draws, 1),
            min_models=_whole("min_models", min_models, 2),
            similarity=_text("similarity", similarity),
            log=log,
        )
        if _flag("record", record) and not shot_list:
            protocol.record_best(self.driver, result)
        return result

    def interval_coverage(
        self,
        modality: str,
        *,
        targets: str | Sequence[str] | None = None,
        method: str | None = None,
        min_models: int = 20,
        draws: int = 5,
        log: Callable[[str], None] = lambda _: None,
    ) -> IntervalCoverage:
        """Audit the expected accuracy and its 80% interval (`tg evaluate --intervals`): each target
        held out as `evaluate` holds it out, calibrated as `predict` does, with 0, 1, 3, 5, 20 or all
        but the model's own runs revealed.

        Parameters
        ----------
        modality: "image" or "text".
        targets: datasets (default ["auto"]: every dataset with at least `min_models` measured models).
        method: the ranking whose intervals are audited (default: the one `predict` uses).
        draws: seeded reveals per number of runs.

        Returns
        -------
        IntervalCoverage: `.frame()` coverage and mean(expected - measured) by rank band (top 1, 5,
        20, all) and runs revealed; `.per_target()` each target's cells.
        """
        from transfergraph.evaluation.intervals import interval_coverage

        return self._call(
            interval_coverage,
            self.settings,
            _modality("modality", modality),
            targets=_texts("targets", targets) or None,
            method=_text("method", method, optional=True),
            min_models=_whole("min_models", min_models, 2),
            draws=_whole("draws", draws, 1),
            log=log,
        )

    # --- a user's own data ----------------------------------------------------------------------
    def add_dataset(
        self,
        name: str,
        source: PathLike,
        *,
        modality: str,
        label_col: str | None = None,
        text_col: str | None = None,
        probe: str | None = None,
        probe_path: PathLike | None = None,
        sample: int = 1000,
        seed: int = 0,
        on_batch: Callable[[int], None] | None = None,
    ) -> PlacedDataset:
        """A new dataset: read the data, embed a seeded sample with the probe model, store the
        embedding, size and class count on a new Dataset node, and its distance to every dataset
        embedded with that probe (the [hf] extra).

        Parameters
        ----------
        name: the new dataset's id.
        source: an image folder (one sub-folder per class), a CSV / Parquet / JSONL table (text), a
            folder holding a Hub dataset repository, or `hf:REPO[:CONFIG][:SPLIT]` (a Hub id).
        modality: "image" or "text".
        label_col, text_col: the columns (default: label / text; a Hub dataset: from its features).
        probe, probe_path: the probe model's id, and a local folder with its weights (offline).
        sample, seed: embed a seeded sample of at most `sample` items.

        Returns
        -------
        PlacedDataset: samples, classes, probe, the datasets it is now similar to.
        """
        return self._place(
            name, source, modality, True, label_col, text_col, probe, probe_path, sample, seed, on_batch
        )

    def embed_dataset(
        self,
        name: str,
        source: PathLike,
        *,
        modality: str,
        label_col: str | None = None,
        text_col: str | None = None,
        probe: str | None = None,
        probe_path: PathLike | None = None,
        sample: int = 1000,
        seed: int = 0,
        on_batch: Callable[[int], None] | None = None,
    ) -> PlacedDataset:
        """Place a dataset already in the graph (a zoo dataset) in a probe's space from its data, so
        datasets added with the same probe get a distance to it. Parameters as `add_dataset`."""
        return self._place(
            name, source, modality, False, label_col, text_col, probe, probe_path, sample, seed, on_batch
        )

    def _place(
        self,
        name: str,
        source: PathLike,
        modality: str,
        create: bool,
        label_col: str | None,
        text_col: str | None,
        probe: str | None,
        probe_path: PathLike | None,
        sample: int,
        seed: int,
        on_batch: Callable[[int], None] | None,
    ) -> PlacedDataset:
        from transfergraph.userdata.place import place

        parsed = self._source(source)
        where = _path("probe_path", probe_path, optional=True)
        return self._call(
            place,
            _text("name", name),
            parsed,
            _modality("modality", modality),
            create=create,
            label_col=_text("label_col", label_col, optional=True),
            text_col=_text("text_col", text_col, optional=True),
            probe=_text("probe", probe, optional=True),
            probe_path=None if where is None else str(where),
            sample=_whole("sample", sample, 2),
            seed=_whole("seed", seed),
            on_batch=on_batch,
        )

    @staticmethod
    def _source(source: PathLike | None) -> Any:
        """A data source checked at the door: a path, or an `hf:` reference that must be a Hub id."""
        from transfergraph.userdata.source import parse_source

        if source is None:
            return None
        return parse_source(source if isinstance(source, str) and source.strip() else _path("source", source))

    def embed_zoo(
        self,
        out: PathLike = "zoo_fingerprints.jsonl",
        *,
        modality: str | None = None,
        probe: str | None = None,
        probe_path: PathLike | None = None,
        sample: int = 1000,
        seed: int = 0,
        hub_ids: PathLike | None = None,
        on_start: Callable[[int], None] = lambda _n: None,
        on_done: Callable[[ZooRow], None] = lambda _r: None,
    ) -> ZooResult:
        """Embed every dataset of the ingested zoo that has a Hub copy (`hub_ids`: a CSV mapping zoo
        names to hf: references, default the packaged one); those already embedded with the same
        probe, sample and seed are skipped (resumable). The fingerprints go to `out`.

        Returns
        -------
        ZooResult: one row per dataset (embedded, already embedded, failed), the file written.
        """
        from transfergraph.userdata.zoo import check_probe, embed_zoo

        chosen = _modality("modality", modality, optional=True)
        check_probe(chosen, _text("probe", probe, optional=True))  # before connecting
        where = _path("probe_path", probe_path, optional=True)
        return self._call(
            embed_zoo,
            _path("out", out),
            modality=chosen,
            probe=probe,
            probe_path=None if where is None else str(where),
            sample=_whole("sample", sample, 2),
            seed=_whole("seed", seed),
            mapping=_path("hub_ids", hub_ids, optional=True),
            on_start=on_start,
            on_done=on_done,
        )

    def export_fingerprints(self, file: PathLike, *, probe: str | None = None) -> Exported:
        """Write the probe embedding of every dataset embedded here (with `probe`: with that probe)
        as a fingerprint file, for `ingest_fingerprints` elsewhere.

        Returns
        -------
        Exported: the file, how many datasets, which probes.
        """
        from transfergraph.userdata.fingerprints import export

        return self._call(export, _path("file", file), _text("probe", probe, optional=True))

    def add_model(
        self,
        model_id: str,
        *,
        source: PathLike | None = None,
        modality: str | None = None,
        update: bool = False,
    ) -> AddedModel:
        """One model from its Hub record (online) or its local config (`source`: the model's folder
        or a config.json), validated as `ingest_hf_models` validates one; a model the graph has is
        refused unless `update`, which replaces its record whole.

        Returns
        -------
        AddedModel: its type, parameters, trained-on datasets, and what changed.
        """
        from transfergraph.userdata.models import add

        return self._call(
            add,
            _text("model_id", model_id),
            source=_path("source", source, optional=True),
            modality=_modality("modality", modality, optional=True),
            update=_flag("update", update),
        )

    def score(
        self,
        dataset: str,
        *,
        models: str | Sequence[str] = (),
        top: int | None = None,
        metrics: str | Sequence[str] = ("logme",),
        source: PathLike | None = None,
        force: bool = False,
        batch_size: int = 16,
        on_start: Callable[[str, int], None] = lambda _m, _n: None,
        on_batch: Callable[[int], None] | None = None,
    ) -> Scores:
        """Extract each model's features on the dataset's sample (no fine-tuning) and write its
        TRANSFERABILITY score; pairs already scored are skipped unless `force`.

        Parameters
        ----------
        dataset: a dataset added with `add_dataset`.
        models: model ids to score; or top: the N best-ranked models of the graph.
        metrics: "logme", "reg-h-score" (both from the same features).
        source: read the data here instead of where it was added from.

        Returns
        -------
        Scores: per (model, metric) the score, seconds and status; how long a ranking read takes.
        """
        from transfergraph.userdata.score import METRIC_NAMES, score

        chosen = list(dict.fromkeys(_texts("metrics", metrics)))
        bad = [m for m in chosen if m not in METRIC_NAMES]
        if bad:
            raise ParameterError("metrics", f"{bad[0]!r}: expected one of {', '.join(METRIC_NAMES)}")
        return self._call(
            score,
            _text("dataset", dataset),
            models=_texts("models", models),
            top=_whole("top", top, optional=True),
            metrics=chosen,
            source=self._source(source),
            force=_flag("force", force),
            batch_size=_whole("batch_size", batch_size, 1),
            on_start=on_start,
            on_batch=on_batch,
        )
