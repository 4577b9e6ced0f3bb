"""The Python API: one object a notebook holds, with a method per `tg` command, returning DataFrames
and typed results. The CLI is a thin layer over it.

    from transfergraph import TransferGraph

    with TransferGraph() as tg:                  # the managed server, or NEO4J_URI
        tg.ingest_runs(frame, modality="image", model_col="model", dataset_col="dataset",
                       accuracy_col="accuracy")
        tg.graph_build()
        tg.predict(method="model-prior")
        tg.recommend("cifar100", top=5)          # a pandas.DataFrame
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transfergraph import config, db, views
from transfergraph.config import Settings
from transfergraph.errors import ParameterError

if TYPE_CHECKING:
    import neo4j
    import pandas as pd

    from transfergraph.readback.recommend import Recommendation
    from transfergraph.sync import SyncResult
    from transfergraph.sync.job import Job
    from transfergraph.sync.sources import SourceResult


@dataclass
class Evaluation:
    """What `tg evaluate` measured: one row per (method, target, seed) and one per method."""

    modality: str
    targets: list[str]
    best: str | None  # the method recorded for `tg recommend` (None for a few-shot evaluation)
    per_target: pd.DataFrame
    summary: pd.DataFrame
    seconds: float
    raw: dict[str, Any]  # the whole result, as `tg evaluate --format json` prints it


class TransferGraph:
    """A connection to a TransferGraph database: the managed local server by default, or `uri`
    (else NEO4J_URI). Use it in a `with` block, or call `close()`."""

    def __init__(
        self,
        uri: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        settings: Settings | None = None,
    ):
        base = settings or config.load()
        if uri is not None:
            base = replace(base, uri=uri, username=username or base.username, password=password)
        self.settings = base
        self._connection = db.connect(base)
        self.driver: neo4j.Driver = self._connection.__enter__()

    def close(self) -> None:
        self._connection.__exit__(None, None, None)

    def __enter__(self) -> TransferGraph:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- ingest ---------------------------------------------------------------------------------
    def ingest_runs(
        self,
        source: str | Path | Sequence[str | Path] | pd.DataFrame,
        *,
        modality: str,
        model_col: str,
        dataset_col: str,
        accuracy_col: str,
        run_id_col: str | None = None,
        peft_col: str | None = None,
        timestamp_col: str | None = None,
        hparam_cols: Sequence[str] = (),
        batch_size: int = 2000,
    ) -> pd.DataFrame:
        """Fine-tuning runs from files (CSV, JSONL, Parquet) or a DataFrame; validated whole before
        anything is written (a bad cell raises InvalidInput naming file, row and column). Returns one
        row per entity: rows, created, updated, unchanged, skipped."""
        import pandas as pd

        from transfergraph import ingest
        from transfergraph.loaders import runs, storable
        from transfergraph.loaders.records import ENTITIES

        mapping = runs.Mapping(
            model_col, dataset_col, accuracy_col, run_id_col, peft_col, timestamp_col, tuple(hparam_cols)
        )
        with tempfile.TemporaryDirectory() as tmp:
            if isinstance(source, pd.DataFrame):
                path = Path(tmp) / "runs.parquet"
                source.to_parquet(path, index=False)
                files = [path]
            else:
                files = [Path(source)] if isinstance(source, str | Path) else [Path(f) for f in source]
            parts = [storable.check(runs.load(f, mapping, modality)) for f in files]
        summary: dict[str, ingest.Tally] = {}
        counts = dict.fromkeys(ENTITIES, 0)
        for part in parts:
            for entity, n in part.counts().items():
                counts[entity] += n
            for entity, tally in ingest.planned(part).items():
                summary.setdefault(entity, ingest.Tally()).skipped += tally.skipped
            for entity, tally in ingest.write(self.driver, part, batch_size, checked=True).items():
                summary.setdefault(entity, ingest.Tally()).add_written(tally)
        return pd.DataFrame(
            [
                {"entity": e, "rows": counts[e], "created": t.created, "updated": t.updated,
                 "unchanged": t.unchanged, "skipped": t.skipped}
                for e in ENTITIES
                for t in [summary.get(e, ingest.Tally())]
            ]
        )  # fmt: skip

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
        dry_run: bool = False,
        batch_size: int = 5000,
    ) -> SourceResult:
        """Fine-tuning runs from MLflow experiments (the `mlflow` extra), keyed by MLflow's run id.

        Parameters: `experiments` names (unknown ones raise InvalidInput); `model_param` /
        `dataset_param` the run params naming the model and dataset; `metric` the run metric holding
        the accuracy (its final value, 0..1); `hparams` params kept on the run; `statuses` the run
        statuses read; `full` reads every run, not only those ended since the last ingest.

        Returns: a SourceResult (`.frame()`: one row per entity; `.unchanged` when no run ended since;
        `.datasets` those whose runs changed; `.report` the skipped runs with their reason). A run
        without the params or the metric is skipped and counted; a bad value raises InvalidInput
        naming the experiment, the run and the field, and nothing is written."""
        from transfergraph.sync.sources import Context, ingest_source

        names = [experiments] if isinstance(experiments, str) else list(experiments)
        options = {
            "tracking_uri": tracking_uri, "experiments": names, "model_param": model_param,
            "dataset_param": dataset_param, "metric": metric, "hparams": list(hparams),
            "modality": modality, "statuses": list(statuses),
        }  # fmt: skip
        name = f"mlflow {tracking_uri}" if tracking_uri else "mlflow"
        return ingest_source(
            Context(self.driver, self.settings), "mlflow", options, name=name, full=full, dry_run=dry_run,
            batch_size=batch_size,
        )  # fmt: skip

    def sync(
        self,
        job: str | Path | Job,
        *,
        wait: float = 0.0,
        full: bool = False,
        log: Callable[[str], None] = lambda _: None,
    ) -> SyncResult:
        """Run a sync job (a TOML job file, docs/sync.md): every source ingested incrementally
        under the graph's lock, then the view and predictions refreshed where runs changed.

        Parameters: `wait` seconds to wait for another sync's lock (else `lock.Busy`); `full` reads
        every source whole.

        Returns: a SyncResult (`.rows()` / `.frame()`: one row per source; `.failures` the sources
        that wrote nothing, each with its one-line error; `.refreshed` what was re-predicted;
        `.ok`)."""
        from transfergraph.sync import sync

        return sync(self.driver, self.settings, job, wait=wait, full=full, log=log)

    # --- the learning graph ---------------------------------------------------------------------
    def graph_build(
        self,
        target: str | None = None,
        *,
        view: str | None = None,
        thresholds: Sequence[str] = (),
        **options: Any,
    ) -> pd.DataFrame:
        """Derive a view (`target` hides that dataset's runs; `thresholds` as NAME=VALUE; options:
        runs, aggregate, pretrained, logme). One row: the view and its edge counts by type."""
        import pandas as pd

        from transfergraph import prune

        settings = prune.BuildSettings(**options).with_thresholds(list(thresholds))
        name = prune.view_name(target, view)
        counts = prune.build(self.driver, target, name, settings)
        return pd.DataFrame([{"view": name, **{k.lower(): v for k, v in counts.items()}}])

    def embed(self, method: str = "node2vec", *, view: str = views.PRODUCTION, seed: int = 0) -> pd.DataFrame:
        """Embed a view's nodes (node2vec, node2vec-weighted in GDS; graphsage, gat in PyG) and store
        the vectors; one row per modality."""
        import pandas as pd

        from transfergraph import embed as embeddings
        from transfergraph.choices import EmbedMethod

        try:
            chosen = EmbedMethod(method)
        except ValueError:
            raise ParameterError("method", f"{method!r}: expected one of {', '.join(EmbedMethod)}") from None
        done = embeddings.embed(self.driver, self.settings, view, chosen, seed=seed, show_progress=False)
        return pd.DataFrame(done)

    # --- predictions ----------------------------------------------------------------------------
    def predict(
        self,
        method: str | None = None,
        *,
        view: str = views.PRODUCTION,
        seed: int = 0,
        datasets: Sequence[str] | None = None,
        top_k: int = 100,
        candidates: int = 1000,
        show_progress: bool = False,
    ) -> pd.DataFrame:
        """Fit `method` (default: per modality the one `evaluate` recorded) on the view and write its
        PREDICTED edges (per dataset the `top_k` best untried and the `top_k` best tried models); one
        row per modality. `datasets`: refresh only these. `candidates`: models per dataset recalled by
        the prior before the ranker scores them (at least `top_k`)."""
        import pandas as pd

        from transfergraph.predict.run import predict

        chosen = list(datasets or []) or None
        done = predict(
            self.driver, self.settings, view, method, seed=seed, datasets=chosen, top_k=top_k,
            candidates=candidates, show_progress=show_progress,
        )  # fmt: skip
        return pd.DataFrame([asdict(p) for p in done])

    def recommendation(
        self,
        dataset: str,
        *,
        top: int = 10,
        method: str | None = None,
        view: str = views.PRODUCTION,
        include_tried: bool = False,
        list_tried: bool = True,
    ) -> Recommendation:
        """The ranking as a typed result (no pandas: what `tg recommend` prints). `list_tried` False:
        of the models already fine-tuned on the dataset, only their number and the best."""
        from transfergraph.readback.recommend import recommend

        return recommend(
            self.driver, dataset, top=top, method=method, view=view, exclude_tried=not include_tried,
            list_tried=list_tried,
        )  # fmt: skip

    def recommend(
        self,
        dataset: str,
        top: int = 10,
        *,
        method: str | None = None,
        view: str = views.PRODUCTION,
        include_tried: bool = False,
    ) -> pd.DataFrame:
        """The `top` models to fine-tune on `dataset`, best first: rank, model, score, measured, ...,
        evidence. `.attrs` holds the method, view, staleness warning and the models already tried."""
        return self.recommendation(
            dataset, top=top, method=method, view=view, include_tried=include_tried
        ).frame()

    def evaluate(
        self,
        modality: str,
        *,
        targets: Sequence[str] | None = None,
        methods: Sequence[str] | None = None,
        seeds: int = 3,
        shots: Sequence[int] | None = None,
        draws: int = 5,
        min_models: int = 20,
        similarity: str = "published",
        record: bool = True,
        log: Callable[[str], None] = lambda _: None,
    ) -> Evaluation:
        """The leave-one-target-out protocol (see `transfergraph.evaluation.protocol`); `targets=["auto"]`:
        every dataset with at least `min_models` measured models; `similarity="computed"`: dataset
        similarity from the probes embedded here only (fingerprints), with its rank agreement with the
        published matrix in `raw["similarity_agreement"]`. With `record`, the method chosen by
        the rule of `transfergraph.evaluation.choice` becomes `recommend`'s default for the modality
        (never with `shots`)."""
        import pandas as pd

        from transfergraph.evaluation import protocol

        result = protocol.evaluate(
            self.driver, self.settings, modality, targets=list(targets or []) or None,
            methods=list(methods or []) or None, seeds=seeds, shots=list(shots or []) or None,
            draws=draws, min_models=min_models, similarity=similarity, log=log,
        )  # fmt: skip
        if record and not shots:
            protocol.record_best(self.driver, result)
        return Evaluation(
            modality, result["targets"], result.get("best"), pd.DataFrame(result["rows"]),
            pd.DataFrame(result["summary"]), result["seconds"], result,
        )  # fmt: skip

    # --- a user's own data ----------------------------------------------------------------------
    def add_dataset(
        self,
        name: str,
        source: str | Path,
        *,
        modality: str,
        label_col: str = "label",
        text_col: str = "text",
        probe: str | None = None,
        probe_path: str | Path | None = None,
        sample: int = 1000,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Read a folder or table, embed a seeded sample with the probe, add the Dataset node and its
        SIMILAR_TO edges (the [hf] extra)."""
        from transfergraph.userdata.place import place

        return place(
            self.driver, name, Path(source), modality, create=True, label_col=label_col, text_col=text_col,
            probe=probe, probe_path=None if probe_path is None else str(probe_path), sample=sample, seed=seed,
        )  # fmt: skip
