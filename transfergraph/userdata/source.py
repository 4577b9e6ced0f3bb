"""Where a user's data comes from: a local path, or `hf:REPO[:CONFIG][:SPLIT]` for a Hugging Face Hub
dataset. The one place that knows the `hf:` prefix: the CLI, the API, the zoo mapping and the
Dataset node's stored source all go through `parse_source` and `source_text`.

A local copy of a Hub dataset repository (what `hf download REPO --repo-type dataset --local-dir DIR`
or a `git clone` leaves) is a plain folder, never `hf:DIR`; `is_hub_copy` tells it from an image
folder by its dataset card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from transfergraph.errors import ParameterError

HUB_PREFIX = "hf:"
SYNTAX = "hf:REPO[:CONFIG][:SPLIT]"
# One part of a Hub repo id, as the Hub names repositories: ASCII letters, digits, '-', '_', '.',
# 1 to 96 characters, starting and ending with a letter, digit or '_' (no '--' or '..', checked apart).
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
_REPO = re.compile(rf"(?:{_PART}/)?{_PART}")
# A config or split name: anything but a path separator, whitespace or a control character.
_NAME = re.compile(r"[^/\\\s\x00-\x1f\x7f]+")
# What a dataset card's YAML front matter holds when the folder is a Hub dataset repository.
_CARD_KEYS = re.compile(r"(configs|dataset_info)\s*:")
CARD_LIMIT = 1 << 20  # bytes of README.md read to find its front matter


@dataclass(frozen=True)
class HubRef:
    """A dataset on the Hugging Face Hub (or in its local cache): a repo id, never a path."""

    repo: str
    config: str | None = None  # None: the dataset's default config
    split: str | None = None  # None: train

    def __str__(self) -> str:
        parts = [self.repo, self.config or "", self.split or ""]
        while parts[-1] == "":
            parts.pop()
        return HUB_PREFIX + ":".join(parts)


def is_repo_id(text: str) -> bool:
    """`NAME` or `OWNER/NAME` by the Hub's rules; a path (`..`, `/abs`, `./x`, `~/x`) never is."""
    return bool(_REPO.fullmatch(text)) and "--" not in text and ".." not in text and not text.endswith(".git")


def parse_source(value: str | Path | HubRef) -> Path | HubRef:
    """A `Path` (or `HubRef`) as it is; a string starting with `hf:` as a `HubRef`, refused with a
    one-line `ParameterError("source", ...)` unless it is `hf:REPO[:CONFIG][:SPLIT]` with a Hub repo
    id (an empty CONFIG is the default one: `hf:beans::test`); any other string as a `Path`."""
    if isinstance(value, Path | HubRef):
        return value
    if not isinstance(value, str):
        raise ParameterError("source", f"expected a path or {SYNTAX}, got {type(value).__name__}")
    if not value.startswith(HUB_PREFIX):
        return Path(value)
    parts = [p.strip() for p in value[len(HUB_PREFIX) :].split(":")]
    names = [p for p in parts[1:] if p]
    if len(parts) > 3 or not is_repo_id(parts[0]) or not all(_NAME.fullmatch(p) for p in names):
        raise ParameterError(
            "source",
            f"{value!r} is no Hugging Face Hub id: expected {SYNTAX} with REPO as NAME or OWNER/NAME "
            "(letters, digits, '-', '_', '.'), e.g. hf:nyu-mll/glue:cola; give a local copy of a "
            "repository as its folder, without hf:",
        )
    config = parts[1] or None if len(parts) > 1 else None
    split = parts[2] or None if len(parts) > 2 else None
    return HubRef(parts[0], config, split)


def source_text(source: Path | HubRef) -> str:
    """The source as the Dataset node stores it, so `tg score` reads it again with `parse_source`:
    `hf:...` for a Hub dataset, the absolute path for local data."""
    if isinstance(source, HubRef):
        return str(source)
    return str(source.expanduser().resolve())


def is_hub_copy(folder: Path) -> bool:
    """Whether `folder` is a local copy of a Hub dataset repository: a README.md dataset card whose
    YAML front matter (between `---` lines at its top) has a top-level `configs` or `dataset_info`."""
    card = folder / "README.md"
    try:
        if not (folder.is_dir() and card.is_file()):
            return False
        with card.open("rb") as f:
            head = f.read(CARD_LIMIT).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return False
    lines = head.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return False
    for line in lines[1:]:
        if line.rstrip() == "---":
            return False
        if _CARD_KEYS.match(line):
            return True
    return False
