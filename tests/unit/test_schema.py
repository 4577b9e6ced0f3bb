"""`transfergraph/schema.py` is the one schema table: the Cypher files agree with it.

Cypher cannot take labels or types as parameters, so `cypher/**/*.cypher` spells them out. These
tests parse the files (comments and string literals removed) and check every label and relationship
type they name against the table, and that the statements which must cover a whole kind do.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pytest

from transfergraph import schema
from transfergraph.loaders.records import Records

from support import REPO

CYPHER = REPO / "cypher"
FILES = sorted(CYPHER.rglob("*.cypher"))


# -- a small Cypher reader: enough to find labels and types, not a parser -----------------------------


def strip(text: str) -> str:
    """The text without comments (`//`, `/* */`) and string literals ('...', "..."), each replaced
        by a space; backquoted names keep their content (other characters than letters, digits and `_` made
    `_`, so the name stays one word). Browser commands (`:param ...` lines) go too."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            out.append(" ")
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        elif c in "'\"":
            i += 1
            while i < n and text[i] != c:
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append(" ")
        elif c == "`":
            end = text.find("`", i + 1)
            out.append(re.sub(r"\W", "_", text[i + 1 : end]))
            i = end + 1
        else:
            out.append(c)
            i += 1
    lines = "".join(out).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith(":"))


NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# `:Name`, then `|Name`, `|:Name` or `&Name` alternatives (label expressions, type unions)
NAMES = re.compile(rf":\s*({NAME}(?:\s*[|&]\s*:?\s*{NAME})*)")
MAP_KEY = re.compile(rf"[{{,]\s*{NAME}\s*$")


class Names(NamedTuple):
    labels: set[str]
    types: set[str]


def names(text: str) -> Names:
    """Labels (in `(...)` and in predicates like `n:Model`) and types (in `[...]`) of stripped text."""
    labels: set[str] = set()
    types: set[str] = set()
    for m in NAMES.finditer(text):
        before = text[: m.start()]
        depth = {"(": 0, "[": 0, "{": 0}
        enclosing = ""
        for ch in reversed(before):  # the innermost bracket still open at the colon
            if ch in ")]}":
                depth["([{"[")]}".index(ch)]] += 1
            elif ch in "([{":
                if depth[ch]:
                    depth[ch] -= 1
                else:
                    enclosing = ch
                    break
        if enclosing == "{" and MAP_KEY.search(before):
            continue  # a map key: `{view: $view}`
        found = set(re.findall(NAME, m.group(1)))
        (types if enclosing == "[" else labels).update(found)
    return Names(labels, types)


@cache
def parsed(path: Path) -> tuple[str, Names]:
    text = strip(path.read_text(encoding="utf-8"))
    return text, names(text)


def test_the_reader_finds_labels_and_types_and_skips_comments_strings_and_maps() -> None:
    text = strip(
        ":param x => 'a';\n"
        "// (c:InComment)-[:IN_COMMENT]->()\n"
        "MATCH (m:Model {id: $id, name: 'x:NotALabel'})-[r:A|B {view: $v}]->(:Dataset:`Odd`)\n"
        "WHERE m:Extra AND EXISTS { (m)-[:C|:D]-() } /* (x:Hidden) */\n"
        'RETURN CASE WHEN m:Other THEN 1 END, {k: m.id, `a.b`: false} AS map, "[y:NotAType]" AS s'
    )
    assert names(text) == Names({"Model", "Dataset", "Odd", "Extra", "Other"}, {"A", "B", "C", "D"})


# -- every name in cypher/ is in the table -----------------------------------------------------------


def test_there_are_cypher_files() -> None:
    assert len(FILES) > 20 and (CYPHER / "schema.cypher") in FILES


def test_every_label_in_cypher_is_in_the_schema_table() -> None:
    missing = {
        label: sorted(str(p.relative_to(CYPHER)) for p in FILES if label in parsed(p)[1].labels)
        for p in FILES
        for label in parsed(p)[1].labels - schema.LABELS
    }
    assert missing == {}, f"labels used in cypher/ but missing from transfergraph/schema.py: {missing}"


def test_every_relationship_type_in_cypher_is_in_the_schema_table() -> None:
    missing = {
        rel: sorted(str(p.relative_to(CYPHER)) for p in FILES if rel in parsed(p)[1].types)
        for p in FILES
        for rel in parsed(p)[1].types - schema.TYPES
    }
    assert missing == {}, f"types used in cypher/ but missing from transfergraph/schema.py: {missing}"


def test_the_table_is_consistent() -> None:
    assert len(schema.LABELS) == len(schema.NODES) and len(schema.TYPES) == len(schema.RELS)
    for kind in schema.RELS:
        assert {kind.start, *kind.end.split("|")} <= schema.LABELS, kind  # "A|B": either label
    assert all(k.per_view for k in schema.VIEW_EDGES + schema.LEARNED_RELS)
    assert not any(k.per_view for k in schema.RAW_RELS)
    assert all(k.entity is not None for k in schema.RAW_RELS)


def test_entities_are_the_records_tables_nodes_first() -> None:
    """The write order: every node entity before any relationship entity that needs it."""
    tables = {f.name for f in dataclasses.fields(Records)} - {"source", "skipped", "notes"}
    assert set(schema.ENTITIES) == tables and len(schema.ENTITIES) == len(tables)
    kinds = [schema.node_kind(e) or schema.rel_kind(e) for e in schema.ENTITIES]
    assert all(k is not None for k in kinds)
    is_node = [isinstance(k, schema.NodeKind) for k in kinds]
    assert is_node == sorted(is_node, reverse=True), schema.ENTITIES


# -- statements that must cover a whole kind --------------------------------------------------------


def _types(name: str) -> set[str]:
    return parsed(CYPHER / name)[1].types


def test_clear_view_deletes_every_view_edge_and_only_per_view_kinds() -> None:
    text, found = parsed(CYPHER / "graph" / "clear_view.cypher")
    by_type = {k.type: k for k in schema.RELS}
    view_edges = {k.type for k in schema.VIEW_EDGES}
    assert view_edges <= found.types, view_edges - found.types
    for rel in found.types:
        assert rel in by_type and by_type[rel].per_view, f"clear_view deletes {rel}, not a per-view kind"
    raw_nodes = {k.label for k in schema.NODES if k.entity is not None}
    assert not found.labels & raw_nodes, found.labels & raw_nodes  # raw facts are never touched
    union = "|".join(sorted(view_edges))
    edges = re.search(r"\[\s*(\w+)\s*:\s*([\w|\s]+?)\s*\{\s*view\s*:\s*\$view\s*\}\s*\]", text)
    assert edges and set(edges.group(2).replace(" ", "").split("|")) == view_edges, union
    assert re.search(rf"\bDELETE\s+{edges.group(1)}\b", text), "the view's edges are matched, not deleted"
    view = re.search(rf"\((\w+)\s*:\s*{schema.VIEW.label}\s*\{{\s*{schema.VIEW.key}\s*:\s*\$view\s*\}}", text)
    assert view and re.search(rf"DETACH\s+DELETE\s+{view.group(1)}\b", text)


def test_prune_writes_exactly_the_view_edges_and_stats_count_them_all() -> None:
    view_edges = {k.type for k in schema.VIEW_EDGES}
    created: set[str] = set()
    for path in sorted((CYPHER / "graph").glob("*.cypher")):
        text = parsed(path)[0]
        for m in re.finditer(r"\b(CREATE|MERGE)\b([^;]*?)(?=\b(?:RETURN|WITH|SET|CREATE|MERGE)\b|$)", text):
            created |= names(m.group(2)).types
    assert created == view_edges
    assert _types("graph/edge_counts.cypher") == view_edges
    assert _types("graph/node_counts.cypher") == view_edges


def test_bulk_counts_has_one_column_per_entity_counting_its_kind() -> None:
    text, _ = parsed(CYPHER / "ingest" / "bulk" / "counts.cypher")
    final = re.search(r"\bRETURN\s+([\w\s,]+)$", text.strip())
    assert final, text
    assert [c.strip() for c in final.group(1).split(",")] == list(schema.ENTITIES)
    blocks = re.findall(r"CALL\s*\(\s*\)\s*\{(.*?)\}", text, re.S)
    assert len(blocks) == len(schema.ENTITIES)
    counted: dict[str, Names] = {}
    for block in blocks:
        alias = re.search(r"\bAS\s+(\w+)\s*$", block.strip())
        assert alias, block
        counted[alias.group(1)] = names(block)
    for entity in schema.ENTITIES:
        node, rel = schema.node_kind(entity), schema.rel_kind(entity)
        if node is not None:
            assert counted[entity] == Names({node.label}, set()), entity
        else:
            assert rel is not None
            assert counted[entity] == Names(set(), {rel.type}), entity


@pytest.mark.parametrize("entity", schema.ENTITIES)
def test_ingest_statement_upserts_its_kind(entity: str) -> None:
    path = CYPHER / "ingest" / f"{entity}.cypher"
    assert path.exists(), f"cypher/ingest/{entity}.cypher is missing"
    text, found = parsed(path)
    flat = " ".join(text.split())
    node, rel = schema.node_kind(entity), schema.rel_kind(entity)
    if node is not None:
        assert found == Names({node.label}, set()), found
        merge = rf"MERGE \(\w+ ?: ?{node.label} ?\{{ ?{node.key} ?: ?row\.{node.key} ?\}} ?\)"
        assert re.search(merge, flat), f"{path.name} does not MERGE (:{node.label} {{{node.key}}})"
        return
    assert rel is not None
    # a changed run also marks its dataset's tried summary stale (its degree does not move)
    marks = Names({"TriedSummary"}, {"TRIED_SUMMARY"}) if rel is schema.FINETUNED_ON else Names(set(), set())
    assert found == Names({rel.start, rel.end} | marks.labels, {rel.type} | marks.types), found
    for label, field in ((rel.start, rel.start_field), (rel.end, rel.end_field)):
        ends = rf"\(\w+ ?: ?{label} ?\{{ ?id ?: ?row\.{field} ?\}} ?\)"
        assert re.search(ends, flat), f"{path.name} does not match (:{label} {{id: row.{field}}})"
    key = rf" ?\{{ ?{rel.key} ?: ?row\.{rel.row_key} ?\}}" if rel.key else ""
    pattern = rf"\(\w*\)-\[\w+ ?: ?{rel.type}{key} ?\]->\(\w*\)"
    if not rel.global_key:
        assert re.search(rf"MERGE {pattern}", flat), f"{path.name} does not MERGE {rel.type} by its key"
        return
    # unique in the whole graph: found by the key alone (its constraint's index), created if absent
    assert rel.key, rel
    assert re.search(rf"MATCH \(\)-\[\w+ ?: ?{rel.type}{key} ?\]->\(\)", flat), path.name
    assert re.search(rf"CREATE {pattern}", flat), f"{path.name} does not CREATE {rel.type} with its key"


def test_schema_cypher_has_the_uniqueness_constraints() -> None:
    flat = " ".join(parsed(CYPHER / "schema.cypher")[0].split())
    for node in (k for k in schema.NODES if k.entity is not None):
        unique = (
            rf"CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \((\w+) ?: ?{node.label}\) "
            rf"REQUIRE \1\.{node.key} IS UNIQUE"
        )
        assert re.search(unique, flat), f"no uniqueness constraint on (:{node.label}).{node.key}"
    global_keys = [k for k in schema.RAW_RELS if k.global_key]
    assert [k.type for k in global_keys] == ["FINETUNED_ON"]
    for rel in global_keys:
        unique = (
            rf"CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \(\)-\[(\w+) ?: ?{rel.type}\]-\(\) "
            rf"REQUIRE \1\.{rel.key} IS UNIQUE"
        )
        assert re.search(unique, flat), f"no uniqueness constraint on [:{rel.type}].{rel.key}"
