"""What a `--bulk` import writes: the loader's rows merged the way the MERGE statements would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from transfergraph import schema
from transfergraph.errors import TGError
from transfergraph.ingest import Tally, planned
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


def plan(records: Records) -> Plan:
    """Merge rows the way the MERGE statements would, check endpoints, and count created rows."""
    out = Plan(summary=planned(records))
    for kind in schema.NODES:
        if kind.entity is None:
            continue
        rows = out.nodes[kind.entity] = []
        for row in records.rows(kind.entity):
            # ON CREATE SET modality; SET += props; SET modality = coalesce(modality, row.modality)
            props = {k: v for k, v in row["props"].items() if k != "id"}
            props["modality"] = props.get("modality", row["modality"])
            rows.append(NodeRow(row["id"], props))
        out.summary[kind.entity].created = len(rows)
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
            value = row[rel.row_key] if rel.row_key is not None else None
            at = merged.setdefault((value,) if rel.global_key else (start, end, value), len(rels))
            if at == len(rels):
                rels.append(RelRow(start, end, value, row["props"]))
                tally.created += 1
                continue
            before = rels[at].props
            after = {**before, **row["props"]}
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
