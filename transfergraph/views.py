"""View names, in one place: the production view and the view that hides one target's runs."""

from __future__ import annotations

PRODUCTION = "all"  # all history: what `tg predict` and `tg recommend` use by default
HELD_OUT_PREFIX = "without:"


def held_out(target: str) -> str:
    """The evaluation view of `target`: its fine-tuning runs hidden from every derived edge."""
    return f"{HELD_OUT_PREFIX}{target}"
