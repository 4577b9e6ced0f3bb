"""View names, in one place: the production view and the view that hides one target's runs."""

from __future__ import annotations

PRODUCTION = "all"  # all history: what `tg predict` and `tg recommend` use by default
HELD_OUT_PREFIX = "without:"


COMPUTED_SUFFIX = "|computed"  # the same view with the similarity of computed probes only


def held_out(target: str, *, computed_similarity: bool = False) -> str:
    """The evaluation view of `target`: its fine-tuning runs hidden from every derived edge (and,
    with `computed_similarity`, dataset similarity from the probes embedded here only)."""
    return f"{HELD_OUT_PREFIX}{target}{COMPUTED_SUFFIX if computed_similarity else ''}"
