"""Dependencies point one way: the CLI and the API on top, then evaluation, prediction, rankers and
features, with the database layer at the bottom. A cycle between transfergraph's parts fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import transfergraph

ROOT = Path(transfergraph.__file__).parent
# Top to bottom: a part may import only parts below it (modules such as db, config, errors are the
# foundation every part may use). `loaders` is the source layer: it imports nothing of ours above it.
LAYERS = [
    ["cli"],
    ["api"],
    ["sync"],  # tg sync: ingests sources, then refreshes the view and predictions
    ["evaluation"],
    ["predict"],
    ["rankers"],
    ["features"],
    ["embed", "readback", "userdata"],
    ["prune", "ingest"],
    ["server", "loaders"],
]


def part_of(path: Path) -> str:
    first = path.relative_to(ROOT).parts[0]
    return first.removesuffix(".py")


def imports() -> dict[str, set[str]]:
    """part -> the other parts it imports (top-level imports and those inside functions alike)."""
    edges: dict[str, set[str]] = {}
    for f in ROOT.rglob("*.py"):
        if "loaders" in f.relative_to(ROOT).parts[:1] and f.is_symlink():
            continue
        here = part_of(f)
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if isinstance(node, ast.ImportFrom) and node.module == "transfergraph":
                names = [f"transfergraph.{a.name}" for a in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] == "transfergraph" and len(bits) > 1 and bits[1] != here:
                    edges.setdefault(here, set()).add(bits[1])
    return edges


def test_no_import_cycle_between_parts() -> None:
    edges = imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(p for p in edges if reaches(p, p, {p}))
    assert cycles == [], f"parts in an import cycle: {cycles}"


def test_every_part_imports_only_parts_below_it() -> None:
    rank = {part: i for i, layer in enumerate(LAYERS) for part in layer}
    upward = [
        f"{part} -> {other}"
        for part, others in imports().items()
        for other in others
        if part in rank and other in rank and rank[other] <= rank[part] and other != part
    ]
    assert upward == [], f"imports that point up (or sideways) the layers: {upward}"
