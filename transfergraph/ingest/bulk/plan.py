"""What a `--bulk` import writes: the loader's rows merged the way the MERGE statements would.

Several files (`tg ingest runs A.csv B.csv --bulk`) are several Records, planned as if upserted one
after the other: a node or relationship a later file names again counts as updated or unchanged,
exactly as the transactional path, which writes the files in order, counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from transfergraph import schema
from transfergraph.errors import TGError
from transfergraph.ingest.writer import Tally, merge_key, planned
from transfergraph.loaders.records import Records


class NodeRow(NamedTuple):
    id: str
    props: dict[str, Any]


class RelRow(NamedTuple):
    start: str
    end: str
    key: Any  # the MERGE key's value (None for a kind merged per pair, like PRETRAINED_ON)
    props: dict[str, Any]

    def value(self, kind: schema.RelKind, name: str) -> Any:
        """Property `name`: the MERGE key, unless `SET r += props` overwrote it."""
        if name == kind.key and name not in self.props:
            return self.key
        return self.props.get(name)


@dataclass
class Plan:
    """Node rows and relationship rows per entity, and the summary `tg ingest` prints."""

    nodes: dict[str, list[NodeRow]] = field(default_factory=dict)
    rels: dict[str, list[RelRow]] = field(default_factory=dict)
    summary: dict[str, Tally] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {e: len(self.nodes[e]) if e in self.nodes else len(self.rels[e]) for e in schema.ENTITIES}


def merge(parts: Sequence[Records]) -> Records:
    """Several loads as one Records, in order (a later one's properties win, as a later upsert's
    would); one load is returned as it is."""
    if len(parts) == 1:
        return parts[0]
    merged = Records(source=", ".join(dict.fromkeys(part.source for part in parts)))
    for part in parts:
        merged.extend(part)
    return merged


def _upserted(before: dict[str, Any] | None, row: dict[str, Any]) -> dict[str, Any]:
    """A node's properties (but id) after `ON CREATE SET modality; SET += props; SET modality =
    coalesce(modality, row.modality)` (cypher/ingest/models.cypher, datasets.cypher)."""
    after = {k: v for k, v in row["props"].items() if k != "id"}
    if before is None:
        after["modality"] = after.get("modality", row["modality"])
    else:
        after = {**before, **after}
        if after.get("modality") is None:
            after["modality"] = row["modality"]
    return after


def plan(records: Records | Sequence[Records]) -> Plan:
    """Merge rows the way the MERGE statements would, check endpoints, and count created rows
    (several Records: upserted in order)."""
    parts = [records] if isinstance(records, Records) else list(records)
    records = merge(parts)
    out = Plan(summary=planned(records))
    for kind in schema.NODES:
        if kind.entity is None:
            continue
        tally = out.summary[kind.entity]
        state: dict[str, dict[str, Any]] = {}
        for part in parts:
            for row in part.rows(kind.entity):
                before = state.get(row["id"])
                after = state[row["id"]] = _upserted(before, row)
                if before is None:
                    tally.created += 1
                elif after == before:
                    tally.unchanged += 1
                else:
                    tally.updated += 1
        out.nodes[kind.entity] = [NodeRow(id, props) for id, props in state.items()]
    known = {schema.MODEL.label: records.models, schema.DATASET.label: records.datasets}
    for rel in schema.RAW_RELS:
        assert rel.entity is not None
        tally = out.summary[rel.entity]
        merged: dict[tuple[Any, ...], int] = {}
        rels = out.rels[rel.entity] = []
        missing = 0
        for row in records.rows(rel.entity):
            start, end = row[rel.start_field], row[rel.end_field]
            if start not in known[rel.start] or end not in known[rel.end]:
                missing += 1
                continue
            at = merged.setdefault(merge_key(rel, row), len(rels))
            if at == len(rels):
                value = row[rel.row_key] if rel.row_key is not None else None
                rels.append(RelRow(start, end, value, row["props"]))
                tally.created += 1
                continue
            before = rels[at].props
            after = {**before, **row["props"]}
            if rel is schema.FINETUNED_ON and "source" in before:  # the first file's, as runs.cypher keeps
                after["source"] = before["source"]
            if after == before:
                tally.unchanged += 1
            else:
                tally.updated += 1
                rels[at] = rels[at]._replace(props=after)
        if missing:
            raise TGError(
                f"{rel.entity}: {missing} rows name endpoints missing from the graph; nothing written"
            )
    return out
