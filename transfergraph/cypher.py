"""Named Cypher statements: every query lives in `cypher/*.cypher`, never in Python strings.

A file holds one statement, or several separated by lines of the form `// name: NAME`
(for `cypher/schema.cypher`, say, which is applied statement by statement).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

# The top-level cypher/ folder, as the package sees it: in a source checkout `transfergraph/_cypher`
# is a symlink to it, and the wheel carries the files themselves there (pyproject.toml), the way
# `transfergraph/loaders` reaches the top-level loaders/.
_CYPHER = Path(__file__).resolve().parent / "_cypher"
_SECTION = re.compile(r"^// name: *(\S+) *$", re.M)


def cypher_dir() -> Path:
    if not _CYPHER.is_dir():
        raise FileNotFoundError(f"no Cypher folder at {_CYPHER} (a source checkout links it to cypher/)")
    return _CYPHER


@cache
def query(name: str) -> str:
    """The text of `cypher/<name>.cypher` (name may contain a sub-folder: `graph/accuracy`)."""
    return (cypher_dir() / f"{name}.cypher").read_text(encoding="utf-8")


@cache
def statements(name: str) -> list[tuple[str, str]]:
    """(name, text) of each `// name:` section of a multi-statement file, in file order."""
    text = query(name)
    parts = _SECTION.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts), 2) if parts[i + 1].strip()]


_PARAM = re.compile(r":param\s+(\w+)\s*=>\s*(.+)")


class Script(NamedTuple):
    """Editor text split as the explore files are laid out: client commands, then one Cypher query."""

    commands: list[str]  # leading `:param ...` lines, without their `;`
    query: str  # the rest, without whole-line `//` comments and the final `;`

    @property
    def params(self) -> dict[str, str]:
        """`:param name => expression` as {name: the Cypher expression the Browser evaluates}."""
        return {m[1]: m[2].strip() for c in self.commands if (m := _PARAM.fullmatch(c))}


def parse_script(text: str) -> Script:
    """Split editor text (a cypher/explore file) into its leading client commands and its Cypher."""
    commands: list[str] = []
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if stripped.startswith(":") and not any(b.strip() for b in body):
            commands.append(stripped.removesuffix(";").rstrip())
        else:
            body.append(line)
    return Script(commands, "\n".join(body).strip().removesuffix(";").rstrip())


def browser_script(name: str) -> tuple[dict[str, object], str]:
    """A Neo4j Browser script (`cypher/explore/*.cypher`): its `:param` values and its one query.

    The values are the literals Browser users type: 'quoted' strings, numbers, true/false.
    """
    script = parse_script(query(name))
    return {k: _literal(v) for k, v in script.params.items()}, script.query


def _literal(text: str) -> object:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return float(text)
