"""What every reader of a user's data shares (data.py for folders and tables, hub.py for Hugging Face
datasets): the sample that gets featurised, how it is drawn, and how a label cell becomes a class."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from transfergraph.errors import InvalidInput, Problem, TGError


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
        raise one_problem(
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


def one_problem(problems: list[Problem]) -> InvalidInput:
    """The first problem as the one line to print, saying how many more there are."""
    first = problems[0]
    if len(problems) > 1:
        more = len(problems) - 1
        first = Problem(first.file, first.row, first.column, f"{first.message} (and {more} more like it)")
    return InvalidInput([first])


def label_text(value: Any) -> str | None:
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


def class_order(names: set[str]) -> list[str]:
    """Sorted class names; numerically when every name is an integer, so labels 0..C-1 keep
    their ids (and "10" follows "9")."""
    if all(_integer(n) for n in names):
        return sorted(names, key=lambda n: (int(n), n))
    return sorted(names)
