"""Share probe embeddings: `tg dataset export-fingerprints` writes them, `tg ingest fingerprints`
places the datasets of a file in its probes' spaces, with SIMILAR_TO distances to every dataset
embedded with the same probe, so a new dataset is near the zoo without the zoo's data on disk.
The file format is `transfergraph.loaders.fingerprints`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j

from transfergraph.db import run
from transfergraph.errors import TGError
from transfergraph.loaders import fingerprints
from transfergraph.loaders.fingerprints import Fingerprint
from transfergraph.loaders.records import Records
from transfergraph.results import Record
from transfergraph.userdata.place import distance

SOURCE = "fingerprints"


@dataclass(frozen=True)
class Exported(Record):
    """A fingerprint file written: where, how many datasets, with which probes."""

    path: str
    datasets: int
    probes: tuple[str, ...]


def _from_row(row: dict[str, Any]) -> Fingerprint:
    return Fingerprint(
        id=row["id"], modality=row["modality"], probe=row["probe"], probe_revision=row["probe_revision"],
        vector=tuple(float(x) for x in row["vector"]), sample=int(row["sample"] or 0),
        seed=int(row["seed"] or 0), source=row["source"], created_at=row["created_at"],
    )  # fmt: skip


def embedded(drv: neo4j.Driver, probes: list[str] | None = None, ids: list[str] | None = None
             ) -> list[Fingerprint]:  # fmt: skip
    """The fingerprints of the datasets embedded here (of those probes, those ids), by id."""
    return [_from_row(r) for r in run(drv, "userdata/fingerprints", probes=probes, ids=ids)]


def export(drv: neo4j.Driver, path: Path, probe: str | None = None, ids: list[str] | None = None) -> Exported:
    """Write the fingerprints of every dataset embedded with `probe` (every probe when None)."""
    fingerprints.check_path(path)  # before reading the graph
    found = embedded(drv, None if probe is None else [probe], ids)
    if not found:
        what = f"with probe {probe!r}" if probe else "with any probe"
        raise TGError(
            f"no dataset is embedded {what}: `tg dataset add|embed` or `tg ingest fingerprints` first"
        )
    fingerprints.write(path, found)
    return Exported(str(path), len(found), tuple(sorted({f.probe for f in found})))


def records(drv: neo4j.Driver, path: Path) -> Records:
    """What a fingerprint file adds, checked against the graph: its datasets' probe embeddings, and
    the distances between them and to every other dataset embedded here with the same probe."""
    name = str(path)
    fps = fingerprints.read(path)
    probes = sorted({f.probe for f in fps})
    in_file = {f.id for f in fps}
    graph = embedded(drv, probes)
    modalities = {r["id"]: r["modality"] for r in run(drv, "userdata/modalities", ids=sorted(in_file))}
    fingerprints.check_against(name, fps, graph, modalities)
    rec = Records(source=SOURCE)
    for f in fps:
        rec.dataset(
            f.id, f.modality, probe_model=f.probe, probe_revision=f.probe_revision,
            probe_embedding=list(f.vector), probe_sample=f.sample, probe_seed=f.seed,
            probe_created_at=f.created_at, data_source=f.source,
        )  # fmt: skip
    others = [g for g in graph if g.id not in in_file]  # a dataset in the file takes the file's vector
    for i, f in enumerate(fps):
        near = [g for g in fps[i + 1 :] if g.probe == f.probe] + [g for g in others if g.probe == f.probe]
        for g in near:
            a, b = sorted((f.id, g.id))
            rec.similarities.append(
                {"a": a, "b": b, "probe": f.probe,
                 "props": {"distance": distance(list(f.vector), list(g.vector)), "computed": True}}
            )  # fmt: skip
    revisions = {(g.probe, g.probe_revision) for g in others if g.probe_revision}
    for probe in probes:
        here = {r for p, r in revisions if p == probe}
        theirs = {f.probe_revision for f in fps if f.probe == probe and f.probe_revision}
        if here and theirs and here != theirs:
            rec.notes.append(
                f"probe {probe!r}: revision {', '.join(sorted(theirs))} in {name}, "
                f"{', '.join(sorted(here))} here: distances across them compare different weights"
            )
    return rec
