"""Fine-tuning runs from an MLflow tracking server or store, through MLflow's own client.

Each run of the named experiments becomes a FINETUNED_ON run keyed by MLflow's run id (so a re-run
is idempotent and a changed run is updated): the model and dataset come from two of its params,
the accuracy from a metric's final value (MLflow's latest), hyper-parameters from other params.
Only FINISHED runs are read unless other statuses are asked for.

What a run lacks is skipped and counted (a run without the model param, or without the metric:
trackers hold aborted and exploratory runs); a value that is there but wrong (an accuracy of 93.1,
a model id no index takes) refuses the whole load in one line per problem, nothing written, as
`tg ingest runs` does.

Incremental: `since` holds per experiment id the last end time read and the ids of the runs that
ended then; only runs that ended at or after it are asked for, those ids left out. A run changed
after it ended (a metric logged later) is seen by a full read.

`mlflow` (the `mlflow` extra) is imported inside `load` only.
"""

from __future__ import annotations

import math
import os
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from transfergraph.errors import InvalidInput, MissingExtra, ParameterError, Problem, TGError
from transfergraph.loaders.records import MODALITIES, Records
from transfergraph.loaders.runs import RUN_PROPERTIES, _number, _short
from transfergraph.loaders.storable import key_problem, value_problem

STATUSES = ("FINISHED", "FAILED", "KILLED")  # the statuses with an end time (and a final metric)
PAGE_SIZE = 1000  # runs per search_runs page (MLflow's default page; its maximum is 50,000)
CONNECT_SECONDS = 3.0  # an unreachable tracking server is reported within this
# MLflow's HTTP client retries for minutes by default; an unreachable server fails within seconds
HTTP_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}


@dataclass(frozen=True)
class Mapping:
    """Which params and metric of a run hold the model, the dataset and the accuracy."""

    model_param: str
    dataset_param: str
    metric: str
    hparams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cursor:
    """How far one experiment was read: the last end time (ms) and the runs that ended then."""

    end_time: int
    ids: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"end_time": self.end_time, "ids": list(self.ids)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Cursor:
        return cls(int(value["end_time"]), tuple(value.get("ids") or ()))


@dataclass
class Loaded:
    """One load: its records, the new cursor per experiment id, and what was skipped."""

    records: Records
    uri: str
    experiments: dict[str, str]  # name -> id
    cursors: dict[str, Cursor]
    read: int = 0  # runs returned by the searches
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (experiment, run id, reason)


def default_uri() -> str:
    """MLflow's own default tracking URI (MLFLOW_TRACKING_URI, else its local default)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    mlflow = _import()
    return str(mlflow.get_tracking_uri())


def _import() -> Any:
    try:
        import mlflow
    except ImportError:
        raise MissingExtra("mlflow", "mlflow", "tg ingest mlflow") from None
    return mlflow


def check_reachable(uri: str) -> None:
    """A one-line TGError within CONNECT_SECONDS when the store cannot be there: an HTTP server
    nothing answers on, or a local store (SQLite file, folder) that does not exist (MLflow's client
    would create an empty one)."""
    parts = urlsplit(uri)
    scheme = parts.scheme.split("+")[0]
    if scheme in ("http", "https"):
        port = parts.port or (443 if scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "localhost", port), timeout=CONNECT_SECONDS):
                pass
        except OSError as e:
            raise TGError(f"MLflow tracking server {uri} is unreachable: {e.strerror or e}") from None
    elif scheme == "sqlite":
        path = unquote(parts.path)[1:] if parts.path.startswith("//") else unquote(parts.path)
        path = path if not parts.netloc else f"/{parts.netloc}{path}"
        if path and path != ":memory:" and not Path(path).is_file():
            raise TGError(f"MLflow store {uri}: no such SQLite file {path}")
    elif scheme in ("", "file"):
        path = unquote(parts.path) if scheme == "file" else uri
        if not Path(path).is_dir():
            raise TGError(f"MLflow store {uri}: no such folder")


def _filter(status: str, cursor: Cursor | None) -> str:
    text = f"attributes.status = '{status}'"  # one of STATUSES: never user text
    return text if cursor is None else f"{text} AND attributes.end_time >= {int(cursor.end_time)}"


def _pages(client: Any, experiment_id: str, flt: str, page_size: int) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string=flt, max_results=page_size, page_token=token,
            order_by=["attributes.end_time ASC"],
        )  # fmt: skip
        yield from page
        token = page.token
        if not token:
            return


def load(
    uri: str | None,
    experiments: Sequence[str],
    mapping: Mapping,
    modality: str,
    statuses: Sequence[str] = ("FINISHED",),
    since: dict[str, Cursor] | None = None,
    page_size: int = PAGE_SIZE,
) -> Loaded:
    """Read the experiments' runs (those after `since`'s cursors) into Records, validated whole."""
    if modality not in MODALITIES:
        raise ParameterError("modality", f"{modality!r}: expected image or text")
    if not experiments:
        raise ParameterError("experiment", "name at least one experiment")
    bad = [s for s in statuses if s not in STATUSES]
    if bad or not statuses:
        raise ParameterError("status", f"{', '.join(bad) or 'none'}: expected some of {', '.join(STATUSES)}")
    for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT"):
        os.environ.setdefault(name, HTTP_ENV[name])
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or None
    if uri is not None:
        check_reachable(uri)  # before importing mlflow (seconds): an unreachable server fails at once
    mlflow = _import()
    if uri is None:
        uri = str(mlflow.get_tracking_uri())
        check_reachable(uri)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=uri)
    found: dict[str, str] = {}
    unknown: list[Problem] = []
    try:
        for name in dict.fromkeys(experiments):
            exp = client.get_experiment_by_name(name)
            if exp is None or exp.lifecycle_stage != "active":
                unknown.append(Problem(f"mlflow {uri}", None, "experiment", f"unknown experiment {name!r}"))
            else:
                found[name] = str(exp.experiment_id)
        if unknown:
            raise InvalidInput(unknown)
        out = Loaded(Records(source=f"mlflow:{uri}"), uri, found, {})
        problems: list[Problem] = []
        for name, exp_id in found.items():
            cursor = (since or {}).get(exp_id)
            done = set(cursor.ids) if cursor else set()
            last = cursor.end_time if cursor else -1
            at_last: set[str] = set(done) if cursor else set()
            for status in statuses:
                for r in _pages(client, exp_id, _filter(status, cursor), page_size):
                    run_id, end = r.info.run_id, r.info.end_time
                    if run_id in done and end == (cursor.end_time if cursor else None):
                        continue  # read last time
                    out.read += 1
                    if end is not None and end > last:
                        last, at_last = end, set()
                    if end == last:
                        at_last.add(run_id)
                    _add(out, problems, name, r, mapping, modality)
            if last >= 0:
                out.cursors[exp_id] = Cursor(last, tuple(sorted(at_last)))
            elif cursor is not None:
                out.cursors[exp_id] = cursor
    except MlflowException as e:
        message = str(e.message if hasattr(e, "message") else e).splitlines()[0]
        raise TGError(f"MLflow {uri}: {message}") from None
    if problems:
        raise InvalidInput(problems)
    return out


def _add(
    out: Loaded, problems: list[Problem], experiment: str, r: Any, mapping: Mapping, modality: str
) -> None:
    """One MLflow run into `out.records`, or a skip (a param or the metric missing), or problems."""
    run_id = r.info.run_id
    where = f"mlflow experiment {experiment!r} run {run_id}"
    params, metrics = r.data.params, r.data.metrics
    missing = [f"param {p!r}" for p in (mapping.model_param, mapping.dataset_param) if p not in params]
    if mapping.metric not in metrics:
        missing.append(f"metric {mapping.metric!r}")
    if missing:
        reason = f"no {' and no '.join(missing)}"
        out.records.skipped[("runs", reason)] += 1
        out.skipped.append((experiment, run_id, reason))
        return
    bad = False
    ids: dict[str, str] = {}
    for param, what in ((mapping.model_param, "model id"), (mapping.dataset_param, "dataset id")):
        value = params[param]
        problem = key_problem(value, what)
        if problem:
            problems.append(Problem(where, None, f"params.{param}", problem))
            bad = True
        ids[what] = value
    acc = metrics[mapping.metric]
    field_name = f"metrics.{mapping.metric}"
    if not isinstance(acc, int | float) or math.isnan(acc):
        problems.append(Problem(where, None, field_name, f"expected a number, got {_short(acc)}"))
        bad = True
    elif not 0.0 <= acc <= 1.0:
        problems.append(Problem(where, None, field_name, f"expected an accuracy in 0..1, got {acc!r}"))
        bad = True
    hparams: dict[str, Any] = {}
    for param in mapping.hparams:
        if param in RUN_PROPERTIES:
            problems.append(
                Problem(where, None, f"params.{param}", f"would overwrite the run's {param!r} property")
            )
            bad = True
            continue
        if param in params:
            value = params[param]
            number = _number(value)
            hparams[param] = number if number is not None and math.isfinite(number) else value
            problem = value_problem(hparams[param])
            if problem:
                problems.append(Problem(where, None, f"params.{param}", problem))
                bad = True
    if bad:
        return
    rec = out.records
    end = r.info.end_time
    props: dict[str, Any] = {
        "accuracy": float(acc),
        "peft": "full",
        "source": f"mlflow:{experiment}",
        **hparams,
    }
    if end is not None:
        props["timestamp"] = datetime.fromtimestamp(end / 1000, UTC).isoformat(timespec="milliseconds")
    rec.model(ids["model id"], modality)
    rec.dataset(ids["dataset id"], modality)
    rec.runs.append(
        {"run_id": run_id, "model": ids["model id"], "dataset": ids["dataset id"], "props": props}
    )
