"""How far each source's last ingest got, kept in the graph as `(:SourceState {key})`.

A re-run reads only what is new or changed: a file source (runs files, the paper zoo's folder, Hub
record files, fingerprint files) is skipped whole when its content hash is the one recorded; MLflow
reads only runs that ended after its recorded cursor. The options that shape the records (column
mapping, modality ...) are part of the state: other options re-read the source whole.

The state is saved only after the source's writes succeeded, so a crash re-reads it (the writes are
idempotent upserts: reading again converges). It holds no time: a crashed load read again and a
clean load leave the same graph.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j

from transfergraph.db import run

CHUNK = 1 << 20


@dataclass(frozen=True)
class State:
    """One source's saved state. `digest`: the sha256 of a file source's content; `cursors`: an
    incremental source's positions (MLflow: per experiment id, the last end time and the ids of
    the runs that ended then)."""

    key: str
    kind: str
    options: str
    digest: str | None = None
    cursors: dict[str, Any] | None = None
    # a file source's files (absolute), kept from its first ingest; not part of its identity
    paths: tuple[str, ...] | None = field(default=None, compare=False)


def options_digest(options: dict[str, Any]) -> str:
    """A short digest of the options that shape a source's records (sorted keys, paths as text)."""
    text = json.dumps(options, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def files_digest(paths: Iterable[Path]) -> str:
    """sha256 over the files' content, in the given order; a folder counts every file under it
    (sorted by relative path, the path hashed too, so a renamed file changes the digest)."""
    h = hashlib.sha256()
    for path in paths:
        members = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for member in members:
            name = member.relative_to(path).as_posix() if path.is_dir() else ""
            h.update(f"\0{name}\0".encode())
            with member.open("rb") as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
    return h.hexdigest()


def load(drv: neo4j.Driver, key: str) -> State | None:
    rows = run(drv, "sources/state", key=key)
    if not rows:
        return None
    row = rows[0]
    cursors = json.loads(row["cursors"]) if row["cursors"] else None
    paths = tuple(row["paths"]) if row["paths"] is not None else None
    return State(key, row["kind"] or "", row["options"] or "", row["digest"], cursors, paths)


def save(drv: neo4j.Driver, state: State) -> None:
    """Record `state`, unless it is the one recorded (a re-run of an unchanged source writes nothing)."""
    if load(drv, state.key) == state:
        return
    cursors = None if state.cursors is None else json.dumps(state.cursors, sort_keys=True)
    paths = None if state.paths is None else list(state.paths)
    payload = {"kind": state.kind, "options": state.options, "digest": state.digest, "cursors": cursors,
               "paths": paths}  # fmt: skip
    run(drv, "sources/save", key=state.key, state=payload)


def states(drv: neo4j.Driver) -> list[dict[str, Any]]:
    return run(drv, "sources/states")
