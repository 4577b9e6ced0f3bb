"""Dependencies point one way: the CLI and the API on top, then evaluation, prediction, rankers and
features, with the database layer at the bottom. A cycle between transfergraph's parts fails here, and
so does a command module that reaches past the facade."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
    ["graph", "ingest"],
    ["server", "loaders"],
]


def part_of(path: Path) -> str:
    first = path.relative_to(ROOT).parts[0]
    return first.removesuffix(".py")


# What a command module may import of the package: the facade, its errors and result formatting, the
# option choices, the managed server (`tg db`), and the command line itself.
CLI_MAY_IMPORT = {"api", "errors", "output", "choices", "server", "cli"}


def imported_parts(source: str, here: str) -> set[str]:
    """The parts of transfergraph that `source` imports (top-level imports and those inside
    functions or `if TYPE_CHECKING:` alike), other than `here`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
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
                found.add(bits[1])
    return found


def imports() -> dict[str, set[str]]:
    """part -> the other parts it imports."""
    edges: dict[str, set[str]] = {}
    for f in ROOT.rglob("*.py"):
        if "loaders" in f.relative_to(ROOT).parts[:1] and f.is_symlink():
            continue
        here = part_of(f)
        found = imported_parts(f.read_text(encoding="utf-8"), here)
        if found:
            edges.setdefault(here, set()).update(found)
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


def cli_reaches_past_the_facade(sources: dict[str, str]) -> list[str]:
    """`module -> part` for every import of a command module outside CLI_MAY_IMPORT."""
    return sorted(
        f"{name} -> {part}"
        for name, source in sources.items()
        for part in imported_parts(source, "cli")
        if part not in CLI_MAY_IMPORT
    )


def test_every_command_is_a_thin_layer_over_the_facade() -> None:
    sources = {f.name: f.read_text(encoding="utf-8") for f in sorted((ROOT / "cli").glob("*.py"))}
    assert cli_reaches_past_the_facade(sources) == []


@pytest.mark.parametrize(
    "injected",
    [
        "from transfergraph import db",
        "from transfergraph.graph import build",
        "import transfergraph.ingest.jobs",
        "def f():\n    from transfergraph.userdata.place import place",
        "if TYPE_CHECKING:\n    from transfergraph.embed.store import Embeddings",
    ],
)
def test_the_facade_check_catches_an_injected_import(injected: str) -> None:
    sources = {f.name: f.read_text(encoding="utf-8") for f in sorted((ROOT / "cli").glob("*.py"))}
    sources["recommend.py"] += "\n" + injected + "\n"
    assert cli_reaches_past_the_facade(sources), injected
