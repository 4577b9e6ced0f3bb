"""A `tg sync` job file (TOML, read with tomllib): the sources to ingest and what to refresh after.

    [refresh]
    graph = true        # re-derive the production view where runs changed
    predict = true      # re-predict the datasets whose runs changed
    full_above = 50     # more changed datasets than this: rebuild the view, predict everything

    [sources.team-runs]
    kind = "runs"
    files = ["runs/team.csv"]
    ...

Every error names the file, the source (its table) and the field, in one line. Relative paths are
read from the job file's folder, so a crontab line can name the job from anywhere.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transfergraph.errors import TGError
from transfergraph.loaders.records import MODALITIES
from transfergraph.sync.sources import KINDS, Field

FULL_ABOVE = 50  # changed datasets beyond which a sync rebuilds the view and predicts everything
REFRESH_FIELDS = {"graph": bool, "predict": bool, "full_above": int, "method": str}


class JobError(TGError):
    """A job file that cannot run: the file, the table and the field are named."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Refresh:
    graph: bool = True
    predict: bool = True
    full_above: int = FULL_ABOVE
    method: str | None = None


@dataclass(frozen=True)
class Job:
    path: Path
    sources: tuple[Source, ...]
    refresh: Refresh = field(default_factory=Refresh)


def _where(path: Path, table: str, name: str | None) -> str:
    return f"{path}: [{table}]" + (f": field {name!r}" if name is not None else "")


def _value(path: Path, table: str, name: str, spec: Field, value: Any) -> Any:
    """`value` checked against the field's type; paths resolved from the job file's folder."""

    def bad(expected: str) -> JobError:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return JobError(f"{_where(path, table, name)}: expected {expected}, got {shown}")

    def text(v: Any) -> str:
        if not isinstance(v, str) or not v.strip():
            raise bad("a non-empty string" if spec.type in ("str", "path") else "a list of non-empty strings")
        return v

    kind = spec.type
    if kind in ("str", "path", "modality"):
        if kind == "modality":
            if value not in MODALITIES:
                raise bad(" or ".join(repr(str(m)) for m in MODALITIES))
            return value
        v = text(value)
        return str(path.parent / v) if kind == "path" else v
    if kind in ("strs", "paths", "modalities"):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or (not items and kind != "strs"):
            raise bad("a string or a non-empty list of strings")
        out = [text(v) for v in items]
        if kind == "modalities" and any(v not in MODALITIES for v in out):
            raise bad(f"a list of {' / '.join(str(m) for m in MODALITIES)}")
        return [str(path.parent / v) for v in out] if kind == "paths" else out
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("an integer")
        return value
    raise AssertionError(kind)


def parse(path: Path) -> Job:
    """The job file at `path`, checked whole: JobError (one line) for the first thing wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JobError(f"{path}: no such job file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise JobError(f"{path}: cannot read the job file: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise JobError(f"{path}: not TOML: {e}") from None
    unknown = sorted(set(data) - {"sources", "refresh"})
    if unknown:
        raise JobError(f"{path}: [{unknown[0]}]: unknown table (expected [sources.NAME] and [refresh])")
    refresh = _refresh(path, data.get("refresh", {}))
    tables = data.get("sources")
    if not isinstance(tables, dict) or not tables:
        raise JobError(f"{path}: no [sources.NAME] table: name at least one source")
    sources = []
    for name, table in tables.items():
        where = f"sources.{name}"
        if not isinstance(table, dict):
            raise JobError(f"{_where(path, where, None)}: expected a table of options")
        kind = table.get("kind")
        if kind not in KINDS:
            raise JobError(
                f"{_where(path, where, 'kind')}: expected one of {', '.join(sorted(KINDS))}, got {kind!r}"
            )
        fields = KINDS[kind].fields
        options: dict[str, Any] = {}
        for key, value in table.items():
            if key == "kind":
                continue
            if key not in fields:
                raise JobError(
                    f"{_where(path, where, key)}: unknown field for kind {kind!r} "
                    f"(expected {', '.join(fields)})"
                )
            options[key] = _value(path, where, key, fields[key], value)
        for key, spec in fields.items():
            if spec.required and key not in options:
                raise JobError(f"{_where(path, where, key)}: required for kind {kind!r}")
        sources.append(Source(name, kind, options))
    return Job(path, tuple(sources), refresh)


def _refresh(path: Path, table: Any) -> Refresh:
    if not isinstance(table, dict):
        raise JobError(f"{path}: [refresh]: expected a table")
    for key, value in table.items():
        expected = REFRESH_FIELDS.get(key)
        if expected is None:
            raise JobError(
                f"{_where(path, 'refresh', key)}: unknown field (expected {', '.join(REFRESH_FIELDS)})"
            )
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise JobError(f"{_where(path, 'refresh', key)}: expected {expected.__name__}, got {value!r}")
        if key == "full_above" and isinstance(value, int) and value < 0:
            raise JobError(f"{_where(path, 'refresh', key)}: must be at least 0, got {value}")
    return Refresh(**table)
