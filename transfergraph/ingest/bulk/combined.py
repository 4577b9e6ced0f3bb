"""`tg ingest runs FILE.csv... --hf-models-file MODELS.jsonl... --bulk`: the run files and the Hub
model records in ONE import, through both columnar passes (`columnar.py`, `columnar_hf.py`).

The graph and the summary are those of the Records path, which plans the runs' Records, then the
records' (`plan.plan` upserts them in order). neo4j-admin refuses a node id twice, so each Model and
Dataset gets one node row, merged as the upserts would (`plan._upserted`):

- named by the runs and by a record: the runs' modality (`coalesce` keeps it) and the record's
  properties; the record counts as updated when it brings any property, else unchanged. A dataset
  named by the runs keeps its row; a record naming it leaves it unchanged.
- named only by the runs, or only by the records: as that loader alone writes it.

Order: the runs' relationship files first (streamed; their distinct node ids kept), then the
records' pass with those ids (`columnar_hf.Known`: known models take the runs' modality in the
records' node files, known datasets get no row there), then the runs' node files without the models
the records wrote. Either pass handing over (None) hands the whole call over to the Records path.
"""

from __future__ import annotations

from pathlib import Path

from transfergraph import schema
from transfergraph.ingest.bulk import columnar, columnar_hf
from transfergraph.ingest.bulk.columnar import Prepared, _Unusual
from transfergraph.loaders import runs as runs_loader


def runs_and_hf_models(
    run_files: list[Path],
    mapping: runs_loader.Mapping,
    modality: str,
    hf_files: list[Path],
    directory: Path,
) -> Prepared | None:
    """The import files of `run_files` then `hf_files` (as `tg ingest runs` then `tg ingest hf-models
    --file`, without --modality, would load them) into `directory`; None when either pass finds
    anything unusual (the caller then takes the Records path for all of them)."""
    import pyarrow as pa

    try:
        return _combined(run_files, mapping, modality, hf_files, directory)
    except (_Unusual, pa.ArrowException, UnicodeDecodeError):
        return None


def _combined(
    run_files: list[Path],
    mapping: runs_loader.Mapping,
    modality: str,
    hf_files: list[Path],
    directory: Path,
) -> Prepared:
    passed = columnar.runs_relationships(run_files, mapping, directory)
    known = columnar_hf.Known(columnar.unique(passed.models), columnar.unique(passed.datasets), modality)
    hf, hf_ids = columnar_hf.hf_pass(hf_files, None, directory / "hf", known)
    runs = columnar.runs_nodes(passed, modality, written=hf_ids)
    layout = runs.layout
    layout.nodes += hf.layout.nodes
    layout.relationships += hf.layout.relationships
    layout.multiline += hf.layout.multiline
    layout.bytes += hf.layout.bytes
    summary = runs.summary
    for entity, tally in hf.summary.items():
        summary[entity].add_written(tally)
    return Prepared(
        layout,
        ", ".join(dict.fromkeys([runs.source, hf.source])),
        {e: runs.expected[e] + hf.expected[e] for e in schema.ENTITIES},
        {e: runs.counts[e] + hf.counts[e] for e in schema.ENTITIES},
        summary,
    )
