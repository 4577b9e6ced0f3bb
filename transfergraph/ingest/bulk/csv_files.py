"""`neo4j-admin database import` CSV files from a bulk Plan: a header file and a data file per group.

Every string is quoted and its quotes doubled (RFC 4180), so ids with quotes, commas, backticks,
braces or newlines survive verbatim; files holding a newline are passed to the importer as
multi-line files. Known difference from the transactional path: an empty list (or a list of one
empty string) is not stored, as the importer reads an empty array field as no value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from transfergraph import schema
from transfergraph.errors import TGError
from transfergraph.ingest.bulk.plan import NodeRow, Plan, RelRow

DATABASE = "neo4j"  # the managed server's default (and only user) database
ARRAY_DELIMITER = "\x1f"  # ASCII unit separator: never part of an id or a tag, unlike the default ';'


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


def _node_value(nodes: list[NodeRow], i: int, k: str) -> Any:
    return nodes[i].props.get(k)


def _rel_value(rels: list[RelRow], kind: schema.RelKind, i: int, k: str) -> Any:
    return rels[i].value(kind, k)


def _node_line(node: NodeRow, label: str, fmts: list[tuple[str, Any]]) -> list[str]:
    fields = [_quote(node.id), label]
    for k, fmt in fmts:
        v = node.props.get(k)
        fields.append("" if v is None else fmt(v))
    return fields


def _rel_line(rel: RelRow, kind: schema.RelKind, fmts: list[tuple[str, Any]]) -> list[str]:
    fields = [_quote(rel.start), _quote(rel.end), kind.type]
    for k, fmt in fmts:
        v = rel.value(kind, k)
        fields.append("" if v is None else fmt(v))
    return fields


def write_csv(p: Plan, directory: Path) -> Layout:
    """Write the plan as neo4j-admin import files into `directory` (created if needed)."""
    if "," in str(directory):
        raise TGError(f"the import folder {directory} holds a comma, which neo4j-admin reads as a separator")
    directory.mkdir(parents=True, exist_ok=True)
    layout = Layout(directory)
    for node in schema.NODES:
        nodes = p.nodes.get(node.entity or "", [])
        if not nodes:
            continue
        names, kinds = _columns(n.props for n in nodes)
        for g, (cols, members) in enumerate(_groups(len(nodes), partial(_node_value, nodes), names, kinds)):
            header = [f"id:ID({node.label})", ":LABEL", *(f"{k}:{t}" for k, t in cols)]
            fmts = [(k, _formatter(t)) for k, t in cols]
            lines = (_node_line(nodes[i], node.label, fmts) for i in members)
            layout.add(layout.nodes, *_write(directory / f"{node.entity}-{g}.csv", header, lines))
    for kind in schema.RAW_RELS:
        rels = p.rels.get(kind.entity or "", [])
        if not rels:
            continue
        names, kinds = _columns((r.props for r in rels), kind.key, (r.key for r in rels))
        value = partial(_rel_value, rels, kind)
        for g, (cols, members) in enumerate(_groups(len(rels), value, names, kinds)):
            start, end = f":START_ID({kind.start})", f":END_ID({kind.end})"
            header = [start, end, ":TYPE", *(f"{k}:{t}" for k, t in cols)]
            fmts = [(k, _formatter(t)) for k, t in cols]
            lines = (_rel_line(rels[i], kind, fmts) for i in members)
            layout.add(layout.relationships, *_write(directory / f"{kind.entity}-{g}.csv", header, lines))
    return layout
