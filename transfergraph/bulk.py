"""Initial loads at `neo4j-admin database import` speed: `tg ingest ... --bulk`.

For an EMPTY managed database only. The loader's Records become neo4j-admin CSV files (a header
file and a data file per group, `id:ID(Model)` / `:START_ID(Model)` id spaces, typed properties),
the managed server is stopped, `neo4j-admin database import full` replaces the `neo4j` database,
the server is started again and the schema applied. The graph is the one the transactional path
(`transfergraph.ingest.write`) would have written into an empty database: same labels, types and
properties, one relationship per MERGE key (duplicate rows merge their properties in order).

Every string is quoted and its quotes doubled (RFC 4180), so ids with quotes, commas, backticks,
braces or newlines survive verbatim; files holding a newline are passed to the importer as
multi-line files. Known difference: an empty list (or a list of one empty string) is not stored,
as the importer reads an empty array field as no value.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import neo4j
from neo4j.exceptions import ServiceUnavailable, TransientError

from loaders.records import ENTITIES, Records
from transfergraph import db, server
from transfergraph.config import Settings
from transfergraph.errors import ServerDown, TGError
from transfergraph.ingest import Tally, apply_schema, planned

DATABASE = "neo4j"  # the managed server's default (and only user) database
ARRAY_DELIMITER = "\x1f"  # ASCII unit separator: never part of an id or a tag, unlike the default ';'
READY_TIMEOUT_S = 180.0
INDEX_TIMEOUT_S = 3600

NODES = {"datasets": "Dataset", "models": "Model"}


@dataclass(frozen=True)
class RelSpec:
    """How one relationship entity of Records maps to the graph (mirrors cypher/ingest/<entity>)."""

    type: str
    start: tuple[str, str]  # (label, row field)
    end: tuple[str, str]
    key: tuple[str, str] | None  # (relationship property, row field) in the MERGE pattern
    # the key is unique in the whole graph (a constraint), not per pair: a row repeating it updates
    # the first run whatever its endpoints, as cypher/ingest/runs.cypher does
    global_key: bool = False


RELS = {
    "pretrained_on": RelSpec("PRETRAINED_ON", ("Model", "model"), ("Dataset", "dataset"), None),
    "similarities": RelSpec("SIMILAR_TO", ("Dataset", "a"), ("Dataset", "b"), ("probe_model", "probe")),
    "runs": RelSpec("FINETUNED_ON", ("Model", "model"), ("Dataset", "dataset"), ("run_id", "run_id"), True),
    "scores": RelSpec("TRANSFERABILITY", ("Model", "model"), ("Dataset", "dataset"), ("metric", "metric")),
}


# ---------------------------------------------------------------------------------------------- plan


@dataclass
class Plan:
    """What the import writes, per entity: node rows (id, properties) and relationship rows
    (start, end, key, properties); `key` is the MERGE key's value (None for PRETRAINED_ON)."""

    nodes: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    rels: dict[str, list[tuple[str, str, Any, dict[str, Any]]]] = field(default_factory=dict)
    summary: dict[str, Tally] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {e: len(self.nodes[e]) if e in NODES else len(self.rels[e]) for e in ENTITIES}


def plan(records: Records) -> Plan:
    """Merge rows the way the MERGE statements would, check endpoints, and count created rows."""
    out = Plan(summary=planned(records))
    for entity in NODES:
        rows = out.nodes[entity] = []
        for row in records.rows(entity):
            # ON CREATE SET modality; SET += props; SET modality = coalesce(modality, row.modality)
            props = {k: v for k, v in row["props"].items() if k != "id"}
            props["modality"] = props.get("modality", row["modality"])
            rows.append((row["id"], props))
        out.summary[entity].created = len(rows)
    known = {"Model": records.models, "Dataset": records.datasets}
    for entity, spec in RELS.items():
        tally = out.summary[entity]
        merged: dict[tuple[Any, ...], int] = {}
        rels = out.rels[entity] = []
        missing = 0
        for row in records.rows(entity):
            start, end = row[spec.start[1]], row[spec.end[1]]
            if start not in known[spec.start[0]] or end not in known[spec.end[0]]:
                missing += 1
                continue
            value = row[spec.key[1]] if spec.key is not None else None
            at = merged.setdefault((value,) if spec.global_key else (start, end, value), len(rels))
            if at == len(rels):
                rels.append((start, end, value, row["props"]))
                tally.created += 1
                continue
            before = rels[at][3]
            after = {**before, **row["props"]}
            if after == before:
                tally.unchanged += 1
            else:
                tally.updated += 1
                rels[at] = (*rels[at][:3], after)
        if missing:
            raise TGError(f"{entity}: {missing} rows name endpoints missing from the graph; nothing written")
    return out


# ---------------------------------------------------------------------------------------------- CSV


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_JAVA_DOUBLES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_SCALARS = {bool: "boolean", int: "long", float: "double", str: "string"}


def _double(value: float) -> str:
    text = repr(value)
    return _JAVA_DOUBLES.get(text, text)


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _kind(value: Any) -> str:
    """The import type of one value ('' for a list whose element type is unknown: it is empty)."""
    kind = _SCALARS.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        kinds = {_kind(v) for v in value}
        if not kinds:
            return ""
        if len(kinds) == 1 and not next(iter(kinds)).endswith("[]"):
            return next(iter(kinds)) + "[]"
    raise TGError(f"cannot bulk-import a property value of type {type(value).__name__}: drop --bulk")


def _array(element: str, value: list[Any]) -> str:
    parts = list(value) if element == "string" else [_formatter(element)(v) for v in value]
    if any(ARRAY_DELIMITER in part for part in parts):
        raise TGError("a list element holds U+001F, the importer's array delimiter: drop --bulk")
    return _quote(ARRAY_DELIMITER.join(parts))


def _formatter(kind: str) -> Callable[[Any], str]:
    """The CSV field of a non-null value; strings are always quoted, so that "" (empty string)
    differs from an empty field (no value)."""
    scalars: dict[str, Callable[[Any], str]] = {"string": _quote, "double": _double, "long": str}
    scalars["boolean"] = _boolean
    return scalars.get(kind) or partial(_array, kind.removesuffix("[]"))


def _columns(
    rows: Iterable[dict[str, Any]], key: str | None = None, key_values: Iterable[Any] = ()
) -> tuple[list[str], dict[str, str]]:
    """Property names in first-seen order (a MERGE key first) and the import type of each; ''
    when it varies by row."""
    kinds: dict[str, set[str]] = {} if key is None else {key: {_kind(v) for v in key_values}}
    for props in rows:
        for k, v in props.items():
            if v is not None:
                kind = _SCALARS.get(type(v)) or _kind(v)
                found = kinds.get(k)
                if found is None:
                    kinds[k] = {kind}
                else:
                    found.add(kind)
    resolved = {}
    for k, found in kinds.items():
        if any(c in k for c in ':,"\r\n'):
            raise TGError(f"property name {k!r} cannot be written by neo4j-admin import: drop --bulk")
        typed = found - {""}  # an empty list takes the column's array type; alone, any array type
        resolved[k] = "string[]" if not typed else next(iter(typed)) if len(typed) == 1 else ""
    return list(kinds), resolved


def _groups(
    n: int, get: Callable[[int, str], Any], names: list[str], kinds: dict[str, str]
) -> Iterator[tuple[list[tuple[str, str]], Iterable[int]]]:
    """Rows 0..n-1 split by the types of the properties whose type varies (a header per group)."""
    mixed = [k for k in names if kinds[k] == ""]
    if not mixed:
        yield [(k, kinds[k]) for k in names], range(n)
        return
    by_sig: dict[tuple[str, ...], list[int]] = {}
    for i in range(n):
        sig = tuple("" if get(i, k) is None else _kind(get(i, k)) for k in mixed)
        by_sig.setdefault(sig, []).append(i)
    for sig, members in by_sig.items():
        chosen = dict(zip(mixed, sig, strict=True))
        # a property absent from (or an empty list in) every row of the group gets no column
        yield [(k, kinds[k] or chosen[k]) for k in names if kinds[k] or chosen[k]], members


@dataclass
class Layout:
    """The CSV files of one import: [header, data] per group, and those holding a newline."""

    directory: Path
    nodes: list[list[Path]] = field(default_factory=list)
    relationships: list[list[Path]] = field(default_factory=list)
    multiline: list[Path] = field(default_factory=list)
    bytes: int = 0

    def add(self, groups: list[list[Path]], header: Path, data: Path, multiline: bool, size: int) -> None:
        groups.append([header, data])
        self.multiline += [data] if multiline else []
        self.bytes += size

    def args(self) -> list[str]:
        """`neo4j-admin` arguments that import these files into an emptied `neo4j` database."""
        args = [
            "database",
            "import",
            "full",
            DATABASE,
            "--overwrite-destination=true",
            "--id-type=string",
            "--array-delimiter=U+001F",
            "--verbose",
            f"--report-file={self.directory / 'import.report'}",
        ]
        if self.multiline:
            args += [
                "--multiline-fields-format=v2",
                "--multiline-fields=" + ",".join(map(str, self.multiline)),
            ]
        args += ["--nodes=" + ",".join(map(str, group)) for group in self.nodes]
        args += ["--relationships=" + ",".join(map(str, group)) for group in self.relationships]
        return args


def _write(path: Path, header: list[str], lines: Iterable[list[str]]) -> tuple[Path, Path, bool, int]:
    """Header file and data file; whether a field spans lines; bytes written (in chunks)."""
    head = path.with_name(path.stem + ".header.csv")
    head.write_text(",".join(header) + "\n", encoding="utf-8")
    multiline = False
    with open(path, "w", encoding="utf-8", newline="") as f:
        chunk: list[str] = []
        for fields in lines:
            chunk.append(",".join(fields))
            if len(chunk) >= 10_000:
                multiline = _flush(f, chunk) or multiline
                chunk = []
        multiline = _flush(f, chunk) or multiline
    return head, path, multiline, path.stat().st_size


def _flush(f: Any, chunk: list[str]) -> bool:
    if not chunk:
        return False
    text = "\n".join(chunk) + "\n"
    f.write(text)
    return text.count("\n") != len(chunk) or "\r" in text


def _node_value(nodes: list[tuple[str, dict[str, Any]]], i: int, k: str) -> Any:
    return nodes[i][1].get(k)


def _rel_value(rels: list[tuple[str, str, Any, dict[str, Any]]], key: str | None, i: int, k: str) -> Any:
    """Property k of relationship i: its MERGE key, unless `SET r += props` overwrote it."""
    props = rels[i][3]
    return rels[i][2] if k == key and k not in props else props.get(k)


def _node_line(node: tuple[str, dict[str, Any]], label: str, fmts: list[tuple[str, Any]]) -> list[str]:
    props = node[1]
    fields = [_quote(node[0]), label]
    for k, fmt in fmts:
        v = props.get(k)
        fields.append("" if v is None else fmt(v))
    return fields


def _rel_line(
    rel: tuple[str, str, Any, dict[str, Any]], type_: str, key: str | None, fmts: list[tuple[str, Any]]
) -> list[str]:
    props = rel[3]
    fields = [_quote(rel[0]), _quote(rel[1]), type_]
    for k, fmt in fmts:
        v = rel[2] if k == key and k not in props else props.get(k)
        fields.append("" if v is None else fmt(v))
    return fields


def write_csv(p: Plan, directory: Path) -> Layout:
    """Write the plan as neo4j-admin import files into `directory` (created if needed)."""
    if "," in str(directory):
        raise TGError(f"the import folder {directory} holds a comma, which neo4j-admin reads as a separator")
    directory.mkdir(parents=True, exist_ok=True)
    layout = Layout(directory)
    for entity, label in NODES.items():
        nodes = p.nodes[entity]
        if not nodes:
            continue
        names, kinds = _columns(props for _, props in nodes)
        node_value = partial(_node_value, nodes)
        for g, (cols, members) in enumerate(_groups(len(nodes), node_value, names, kinds)):
            header = [f"id:ID({label})", ":LABEL", *(f"{k}:{t}" for k, t in cols)]
            fmts = [(k, _formatter(t)) for k, t in cols]
            lines = (_node_line(nodes[i], label, fmts) for i in members)
            layout.add(layout.nodes, *_write(directory / f"{entity}-{g}.csv", header, lines))
    for entity, spec in RELS.items():
        rels = p.rels[entity]
        if not rels:
            continue
        key = spec.key[0] if spec.key is not None else None
        names, kinds = _columns((r[3] for r in rels), key, (r[2] for r in rels))
        rel_value = partial(_rel_value, rels, key)
        for g, (cols, members) in enumerate(_groups(len(rels), rel_value, names, kinds)):
            start, end = f":START_ID({spec.start[0]})", f":END_ID({spec.end[0]})"
            header = [start, end, ":TYPE", *(f"{k}:{t}" for k, t in cols)]
            fmts = [(k, _formatter(t)) for k, t in cols]
            lines = (_rel_line(rels[i], spec.type, key, fmts) for i in members)
            layout.add(layout.relationships, *_write(directory / f"{entity}-{g}.csv", header, lines))
    return layout


# ---------------------------------------------------------------------------------------------- import


def _say_stderr(message: str) -> None:
    if sys.stderr.isatty():
        print(f"bulk: {message}", file=sys.stderr)


def check_empty(settings: Settings) -> None:
    """Refuse (one-line TGError) unless the managed server runs and its database holds no node."""
    if settings.external:
        raise TGError(
            "--bulk rewrites the managed server's store with neo4j-admin: it cannot load into "
            f"NEO4J_URI={settings.uri} (unset NEO4J_URI, or drop --bulk)"
        )
    if server.running_pid(settings) is None:
        raise ServerDown(
            f"Neo4j is not running at {settings.bolt_uri} (start it with `tg db start`): --bulk "
            "checks that its database is empty first"
        )
    with db.connect(settings) as drv:
        nodes = db.run(drv, "bulk/node_count")[0]["nodes"]
    if nodes:
        raise TGError(
            f"the database is not empty ({nodes} nodes): --bulk is only for an initial load into an "
            "empty database (drop --bulk to upsert)"
        )


def _failure(proc_output: str) -> str:
    """The importer's own reason, from its --verbose output (the last 'Caused by' says it best)."""
    lines = [ln.strip() for ln in proc_output.splitlines()]
    for prefix in ("original error:", "Caused by:"):
        found = [ln for ln in lines if ln.startswith(prefix)]
        if found:
            return found[-1].removeprefix(prefix).strip()[:300]
    tail = [ln for ln in lines if ln and not ln.startswith("at ")]
    return tail[-1][:300] if tail else "no output"


def run_import(settings: Settings, layout: Layout) -> float:
    """Run neo4j-admin on the files (the server must be stopped); seconds taken. TGError on failure."""
    started = time.monotonic()
    proc = server.admin(settings, *layout.args())
    elapsed = time.monotonic() - started
    log = server.Paths.of(settings).logs / "bulk-import.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise TGError(f"neo4j-admin import failed: {_failure(proc.stdout + proc.stderr)} (see {log})")
    return elapsed


def discard_store(settings: Settings) -> None:
    """Delete the `neo4j` database's store and transaction logs (server stopped): it starts empty.

    After a failed import the store files are unusable; the database was empty, so start afresh.
    """
    data = server.Paths.of(settings).data
    for d in (data / "databases" / DATABASE, data / "transactions" / DATABASE):
        shutil.rmtree(d, ignore_errors=True)


def _ready(settings: Settings) -> neo4j.Driver:
    """A driver once the imported database answers queries (it may still be starting)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        drv = db.driver(settings)
        try:
            db.run(drv, "bulk/node_count")
            return drv
        except (TransientError, ServiceUnavailable):
            drv.close()
            if time.monotonic() > deadline:
                raise TGError(
                    f"the imported database did not come online within {READY_TIMEOUT_S:.0f}s"
                ) from None
            time.sleep(1.0)
        except BaseException:
            drv.close()
            raise


def load(
    settings: Settings,
    records: Records,
    work_dir: Path | None = None,
    say: Callable[[str], None] = _say_stderr,
) -> dict[str, Tally]:
    """Import `records` into the empty managed database; the same summary as `ingest.write`.

    The CSV files go to a temporary folder of the server dir (or `work_dir`, then kept).
    """
    check_empty(settings)
    p = plan(records)
    if not any(p.counts().values()):
        return p.summary  # nothing to import (neo4j-admin needs at least one node file)
    own_dir = work_dir is None
    directory = Path(tempfile.mkdtemp(prefix="bulk-", dir=settings.server_dir)) if own_dir else work_dir
    assert directory is not None
    try:
        say(f"writing import files into {directory}")
        layout = write_csv(p, directory)
        check_empty(settings)  # again, right before the database goes away
        say("stopping Neo4j")
        server.stop(settings, say=lambda _: None)
        try:
            say("neo4j-admin database import full")
            run_import(settings, layout)
        except BaseException:
            discard_store(settings)
            raise
        finally:
            say("starting Neo4j")
            server.start(settings, wait_ready=lambda: db.answers(settings), say=lambda _: None)
    finally:
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)
    with _ready(settings) as drv:
        say("applying the schema")
        apply_schema(drv)
        db.run(drv, "bulk/await_indexes", seconds=INDEX_TIMEOUT_S)
        found = db.run(drv, "bulk/counts")[0]
    expected = p.counts()
    wrong = [f"{e} {found[e]} of {expected[e]}" for e in ENTITIES if found[e] != expected[e]]
    if wrong:
        raise TGError(f"neo4j-admin import wrote {', '.join(wrong)}; see {server.Paths.of(settings).logs}")
    return p.summary
