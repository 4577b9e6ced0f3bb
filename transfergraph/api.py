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
        top: how many models. include_tried: rank the models already fine-tuned on the dataset too.
        list_tried: list the tried models in `measured`, best first, `tried_limit` of them from
            `tried_offset` on (their count and the best are always in `tried` and `best_tried`).
        max_params: at most this many parameters. max_memory: at most this many bytes of float32
            weights (4 x parameters). model_type, architecture, license: any of these names
            (case-insensitive). exclude: globs on the model id (`*`, `?`; case-insensitive).
            A model without the property a filter reads is filtered out. The filters run in the
            query; `filtered` says in one line how many they filtered out and why.

        Returns
        -------
        Recommendation: rows, the tried models' count and best, `columns` (what each number is).
        Bad values raise ParameterError naming the parameter."""
        from transfergraph.readback.filters import model_filter
        from transfergraph.readback.recommend import recommend

        filters = model_filter(max_params, max_memory, model_type, architecture, license, exclude)
        return recommend(
            self.driver, dataset, top=top, method=method, view=view, exclude_tried=not include_tried,
            list_tried=list_tried, tried_offset=tried_offset, tried_limit=tried_limit, filters=filters,
        )  # fmt: skip

    def recommend(
        self,
        dataset: str,
        top: int = 10,
        *,
        method: str | None = None,
        view: str = views.PRODUCTION,
        include_tried: bool = False,
        **filters: Any,
    ) -> pd.DataFrame:
        """The `top` models to fine-tune on `dataset`, best first: rank, model, expected, low, high,
        score, measured, ..., evidence. `filters`: max_params, max_memory, model_type, architecture,
        license, exclude, list_tried, tried_offset, tried_limit (see `recommendation`). `.attrs` holds
        the method, view, staleness warning, what the filters filtered out and the tried models."""
        return self.recommendation(
            dataset, top=top, method=method, view=view, include_tried=include_tried, **filters
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
