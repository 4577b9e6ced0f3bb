"""`tg dataset embed --zoo`: embed every dataset of the ingested zoo that has a Hugging Face copy, so a
new dataset has neighbours in the probe's space; the output is a fingerprint file to share.

Which Hub dataset a zoo name is comes from a CSV (`transfergraph/data/zoo_hub_ids.csv`, or your
own). Each dataset is written as soon as it is embedded, so an interrupted job keeps what it
finished, and a re-run skips the datasets already embedded with the same probe, sample and seed.
A dataset that cannot be read is reported in one line and the job goes on.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j

if TYPE_CHECKING:
    import pandas as pd

from transfergraph.db import run
from transfergraph.errors import InvalidInput, ParameterError, Problem, TGError
from transfergraph.loaders.records import MODALITIES
from transfergraph.results import Record, Table
from transfergraph.userdata.data import HUB_PREFIX
from transfergraph.userdata.place import DEFAULT_PROBES

HUB_IDS = "zoo_hub_ids.csv"
COLUMNS = ("dataset", "modality", "hub", "label_col", "text_col", "note")


@dataclass(frozen=True)
class HubEntry:
    dataset: str
    modality: str
    hub: str | None  # hf:REPO[:CONFIG][:SPLIT], None when no Hub copy is known
    label_col: str | None
    text_col: str | None


@dataclass(frozen=True)
class ZooRow(Record):
    dataset: str
    source: str
    status: str  # "embedded", "already embedded", "failed"
    seconds: float = 0.0
    reason: str = ""


@dataclass
class ZooResult:
    rows: list[ZooRow] = field(default_factory=list)
    without_hub_id: int = 0  # zoo datasets in the graph the mapping has no Hub copy for
    fingerprints: str | None = None  # the file written, None when nothing is embedded
    exported: int = 0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.rows)

    def summary(self) -> dict[str, Any]:
        """What `tg dataset embed --zoo` prints: counts by status, the file written."""
        return {
            "embedded": self.count("embedded"),
            "already_embedded": self.count("already embedded"),
            "failed": self.count("failed"),
            "without_hub_id": self.without_hub_id,
            "fingerprints": self.fingerprints or "-",
            "exported": self.exported,
        }

    def frame(self) -> pd.DataFrame:
        """One row per zoo dataset: its Hub source, what happened, and why when it failed."""
        return Table(tuple(self.rows)).frame()


def hub_ids(path: Path | None = None) -> dict[str, HubEntry]:
    """The mapping from zoo names to Hub datasets (the packaged one unless `path`); lines starting
    with # are comments. InvalidInput names the line and column of every bad row."""
    if path is None:
        text = resources.files("transfergraph").joinpath("data", HUB_IDS).read_text(encoding="utf-8")
        name = HUB_IDS
    else:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidInput([Problem(name, None, None, f"cannot read: {e}")]) from None
    lines = [(i, line) for i, line in enumerate(text.splitlines(), start=1) if not line.startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    rows = list(reader)
    if not rows or [c.strip() for c in rows[0]][:5] != list(COLUMNS[:5]):
        raise InvalidInput([Problem(name, lines[0][0] if lines else None, None,
                                    f"expected the header {','.join(COLUMNS)}")])  # fmt: skip
    out: dict[str, HubEntry] = {}
    problems: list[Problem] = []
    for (line, _), fields in zip(lines[1:], rows[1:], strict=False):
        if not fields:
            continue
        cells = dict(zip(COLUMNS, [f.strip() for f in fields], strict=False))
        dataset, modality, hub = cells.get("dataset", ""), cells.get("modality", ""), cells.get("hub", "")
        if not dataset:
            problems.append(Problem(name, line, "dataset", "empty dataset name"))
        elif dataset in out:
            problems.append(Problem(name, line, "dataset", f"{dataset!r} is named twice"))
        if modality not in MODALITIES:
            problems.append(Problem(name, line, "modality", f"expected image or text, got {modality!r}"))
        if hub and not hub.startswith(HUB_PREFIX):
            problems.append(Problem(name, line, "hub", f"expected hf:REPO[:CONFIG][:SPLIT], got {hub!r}"))
        out[dataset] = HubEntry(dataset, modality, hub or None, cells.get("label_col") or None,
                                cells.get("text_col") or None)  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    return out


def _done(row: dict[str, Any], probe: str, sample: int, seed: int) -> bool:
    """Already embedded with this probe and sample: the same seed, and `sample` items (or the whole
    source when it holds fewer)."""
    if row["probe"] != probe or row["seed"] != seed or row["sample"] is None:
        return False
    return bool(
        row["sample"] == sample or (row["items"] is not None and row["sample"] == min(sample, row["items"]))
    )


def check_probe(modality: str | None, probe: str | None) -> None:
    if probe is not None and modality is None:
        raise ParameterError("probe", "embeds one modality: give modality too")


def embed_zoo(
    drv: neo4j.Driver,
    out: Path,
    *,
    modality: str | None = None,
    probe: str | None = None,
    probe_path: str | None = None,
    sample: int = 1000,
    seed: int = 0,
    mapping: Path | None = None,
    on_start: Callable[[int], None] = lambda _n: None,
    on_done: Callable[[ZooRow], None] = lambda _r: None,
) -> ZooResult:
    """Embed every zoo dataset in the graph with a Hub copy (of `modality`, or both), then write the
    fingerprints of the zoo datasets embedded with the probe(s) to `out`."""
    from transfergraph.loaders import fingerprints as fingerprint_file
    from transfergraph.userdata import fingerprints
    from transfergraph.userdata.place import place

    check_probe(modality, probe)
    fingerprint_file.check_path(out)
    entries = hub_ids(mapping)
    graph = run(drv, "userdata/zoo_datasets", modality=modality)
    known = [r for r in graph if r["id"] in entries]
    if not known:
        raise TGError("no dataset of the zoo in the graph: `tg ingest paper-zoo` first")
    todo = [r for r in known if entries[r["id"]].hub is not None]
    result = ZooResult(without_hub_id=len(known) - len(todo))
    probes: dict[str, str] = {
        m: probe or DEFAULT_PROBES[m] for m in ("image", "text") if modality in (None, m)
    }
    on_start(len(todo))
    for r in todo:
        entry = entries[r["id"]]
        ds_modality = r["modality"] or entry.modality
        source = str(entry.hub)
        if _done(r, probes[ds_modality], sample, seed):
            row = ZooRow(r["id"], source, "already embedded")
        else:
            start = time.perf_counter()
            try:
                place(drv, r["id"], source, ds_modality, create=False, label_col=entry.label_col,
                      text_col=entry.text_col, probe=probes[ds_modality], probe_path=probe_path,
                      sample=sample, seed=seed)  # fmt: skip
                row = ZooRow(r["id"], source, "embedded", round(time.perf_counter() - start, 2))
            except (TGError, InvalidInput) as e:
                reason = str(e.problems[0]) if isinstance(e, InvalidInput) else str(e)
                row = ZooRow(r["id"], source, "failed", round(time.perf_counter() - start, 2), reason)
        result.rows.append(row)
        on_done(row)
    ids = [r["id"] for r in known]
    found = fingerprints.embedded(drv, sorted(set(probes.values())), ids)
    if found:
        fingerprints.export(drv, out, None, [f.id for f in found])
        result.fingerprints, result.exported = str(out), len(found)
    return result
