"""A user's labelled dataset read into memory: a seeded sample of texts or image files, with labels.

Everything is checked before any model runs, so a bad file fails in a second with one line naming
the file (and the row and column where there is one), not after minutes of featurising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transfergraph.errors import InvalidInput, MissingExtra, Problem, TGError
from transfergraph.loaders.tabular import read_rows

MODALITIES = ("image", "text")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"})
LAYOUT = "one sub-folder per class, images inside"
HUB_PREFIX = "hf:"


@dataclass
class UserData:
    """The sample that gets featurised. `labels[i]` indexes `classes` and belongs to `items[i]`."""

    source: str
    modality: str  # "image" | "text"
    items: list[Any]  # texts (str), image files (Path) or decoded images (PIL), in source order
    labels: np.ndarray  # int64, one per item
    classes: list[str]  # every class of the whole source, in label-id order
    num_samples: int  # rows or images in the whole source, before sampling
    sample_seed: int
    label_col: str | None = None  # the columns read, for a table or a Hugging Face dataset
    text_col: str | None = None


def read(
    source: Path | str,
    modality: str,
    *,
    label_col: str | None = None,
    text_col: str | None = None,
    sample: int = 1000,
    seed: int = 0,
) -> UserData:
    """Read and check `source`, then keep a seeded sample of at most `sample` items.

    image: a folder with one sub-folder per class (the folder name is the class), image files
    (jpg, jpeg, png, bmp, gif, webp) anywhere below it; hidden files and folders are ignored.
    text: a .csv, .parquet or .jsonl table with a text column and a label column ("text" and
    "label" unless given).
    `hf:REPO[:CONFIG][:SPLIT]`: a Hugging Face dataset (`userdata.hub`), its columns found from its
    features unless given.
    The sample is numpy default_rng(seed).choice without replacement, kept in source order.
    """
    if modality not in MODALITIES:
        raise TGError(f"unknown modality {modality!r}: expected one of {', '.join(MODALITIES)}")
    check_sample(sample)
    if isinstance(source, str) and source.startswith(HUB_PREFIX):
        from transfergraph.userdata import hub

        return hub.read(source, modality, label_col=label_col, text_col=text_col, sample=sample, seed=seed)
    source = Path(source)
    name = str(source)
    if not source.exists():
        raise _one([Problem(name, None, None, "not found")])
    label_col, text_col = label_col or "label", text_col or "text"
    if modality == "image":
        items, labels, classes = _image_folder(source)
    else:
        items, labels, classes = _table(source, label_col, text_col)
    keep = sample_rows(name, np.asarray(labels, dtype=np.int64), classes, sample, seed)
    sampled = [items[i] for i in keep]
    if modality == "image":
        _check_images(sampled)
    return UserData(
        source=name,
        modality=modality,
        items=sampled,
        labels=np.asarray(labels, dtype=np.int64)[keep],
        classes=classes,
        num_samples=len(items),
        sample_seed=seed,
        label_col=None if modality == "image" else label_col,
        text_col=None if modality == "image" else text_col,
    )


def check_sample(sample: int) -> None:
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 2:
        raise TGError(f"sample size {sample!r}: must be an integer of at least 2 (a score needs 2 classes)")


def sample_rows(name: str, labels: np.ndarray, classes: list[str], sample: int, seed: int) -> np.ndarray:
    """The rows kept: all of them, or a seeded choice of `sample` in source order; refused when the
    sample holds one class only."""
    total = len(labels)
    keep = np.arange(total)
    if total > sample:
        keep = np.sort(np.random.default_rng(seed).choice(total, size=sample, replace=False))
    present = np.unique(labels[keep])
    if present.size < 2:
        only = classes[int(present[0])] if present.size else "-"
        raise _one(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"the sample of {len(keep)} of {total} items (seed {seed}) holds only class {only!r}: "
                    "use a larger sample",
                )
            ]
        )
    return keep


def _one(problems: list[Problem]) -> InvalidInput:
    """The first problem as the one line to print, saying how many more there are."""
    first = problems[0]
    if len(problems) > 1:
        more = len(problems) - 1
        first = Problem(first.file, first.row, first.column, f"{first.message} (and {more} more like it)")
    return InvalidInput([first])


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _image_folder(root: Path) -> tuple[list[Any], list[int], list[str]]:
    name = str(root)
    if not root.is_dir():
        raise _one([Problem(name, None, None, f"is a file, not a folder of class folders ({LAYOUT})")])
    try:
        entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError as e:
        raise _one([Problem(name, None, None, f"cannot list the folder: {e.strerror or e}")]) from None
    loose = [p for p in entries if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if loose:
        raise _one(
            [Problem(str(p), None, None, f"image is not inside a class folder ({LAYOUT})") for p in loose]
        )
    folders = [p for p in entries if p.is_dir()]
    if not folders:
        raise _one(
            [Problem(name, None, None, f"is not a folder of class folders: no sub-folders ({LAYOUT})")]
        )
    per_class: list[list[Path]] = []
    for folder in folders:
        images = sorted(
            p
            for p in folder.rglob("*")
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not _hidden(p, folder)
        )
        per_class.append(images)
    if not any(per_class):
        suffixes = ", ".join(sorted(s.lstrip(".") for s in IMAGE_SUFFIXES))
        raise _one([Problem(name, None, None, f"no images in any class folder (looked for {suffixes})")])
    empty = [
        Problem(str(f), None, None, "class folder has no images")
        for f, i in zip(folders, per_class, strict=True)
        if not i
    ]
    if empty:
        raise _one(empty)
    if len(folders) < 2:
        raise _one(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"only one class folder ({folders[0].name!r}): "
                    "a transferability score needs at least 2 classes",
                )
            ]
        )
    classes = [f.name for f in folders]
    items: list[Any] = []
    labels: list[int] = []
    for label, images in enumerate(per_class):
        items += images
        labels += [label] * len(images)
    return items, labels, classes


def _check_images(paths: list[Path]) -> None:
    """Decode every sampled image once, so a corrupt file is named before any model runs."""
    try:
        from PIL import Image  # the [hf] extra
    except ImportError:
        raise MissingExtra("Pillow", "hf", "reading an image dataset") from None
    for path in paths:
        try:
            with Image.open(path) as image:
                image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise _one([Problem(str(path), None, None, f"not a readable image: {first}")]) from None


def _label_text(value: Any) -> str | None:
    """A label cell as its class name; None when empty. Integral floats (a Parquet column of ints
    with a gap reads as floats) name the same class as the int."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    raise TypeError(type(value).__name__)


def _integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _class_order(names: set[str]) -> list[str]:
    """Sorted class names; numerically when every name is an integer, so labels 0..C-1 keep
    their ids (and "10" follows "9")."""
    if all(_integer(n) for n in names):
        return sorted(names, key=lambda n: (int(n), n))
    return sorted(names)


def _table(path: Path, label_col: str, text_col: str) -> tuple[list[Any], list[int], list[str]]:
    name = str(path)
    try:
        columns, rows = read_rows(path)
    except InvalidInput as e:
        raise _one(e.problems) from None
    header_row = 1 if path.suffix.lower() == ".csv" else None
    present = ", ".join(repr(c) for c in columns) or "none"
    for col, what in ((text_col, "text"), (label_col, "label")):
        if col not in columns:
            raise _one([Problem(name, header_row, col, f"no {what} column (columns: {present})")])
    problems: list[Problem] = []
    texts: list[Any] = []
    names: list[str] = []
    for line, row in rows:
        text = row.get(text_col)
        if text is None or (isinstance(text, float) and math.isnan(text)):
            problems.append(Problem(name, line, text_col, "empty text"))
        elif not isinstance(text, str):
            problems.append(
                Problem(name, line, text_col, f"expected text, got {type(text).__name__} {text!r:.40}")
            )
        elif not text.strip():
            problems.append(Problem(name, line, text_col, "empty text (only whitespace)"))
        try:
            label = _label_text(row.get(label_col))
        except TypeError as e:
            problems.append(Problem(name, line, label_col, f"expected a class name or number, got {e}"))
            continue
        if label is None:
            problems.append(Problem(name, line, label_col, "empty label"))
            continue
        texts.append(text)
        names.append(label)
    if problems:
        raise _one(problems)
    classes = _class_order(set(names))
    if len(classes) < 2:
        raise _one(
            [
                Problem(
                    name,
                    None,
                    label_col,
                    f"only one class ({classes[0]!r}) in {len(rows)} rows: a transferability score "
                    "needs at least 2 classes",
                )
            ]
        )
    ids = {c: i for i, c in enumerate(classes)}
    return texts, [ids[n] for n in names], classes
