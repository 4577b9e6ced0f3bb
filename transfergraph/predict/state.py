"""What a full `tg predict` leaves behind for a refresh of one dataset (`tg predict --dataset D`).

At a million models, exporting the view's edges, reading the model metadata, fitting and calibrating
take minutes; ranking one new dataset must take seconds (issue 17, item 5). A full run pickles its
exported edges, its fitted ranker and its calibration under the cache with the view's stamp (a new
one at every `tg graph build` and every refresh of a dataset, `cypher/graph/`). A refresh reuses them
only when the stamp it read before refreshing its dataset is the saved one, so nothing else changed
the view since; it then reads that dataset's accuracy edges and the datasets' similarity edges anew
(`collaborative.patched`) and saves the patched edges under the new stamp. The ranker and its
calibration stay those of the full run. Not reused: a ranker on embeddings (re-embedding does not
restamp the view), or when the modality gained or lost models.
"""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transfergraph.config import Settings
from transfergraph.features.collaborative import ViewEdges

VERSION = 1  # of the pickled layout: a state of another version is not read


@dataclass
class State:
    stamp: str  # the view's stamp the edges are current at
    models: int  # models of the modality then (features/model_count.cypher)
    edges: ViewEdges
    fitted: Any  # run.FittedView
    calibration: tuple[Any, Any, str | None]  # run.calibration's result
    version: int = VERSION


KEEP = 3  # states kept per (view, method, modality): other servers sharing the cache keep theirs


def path(settings: Settings, view: str, method: str, modality: str, stamp: str) -> Path:
    """Named by the view's stamp too: the cache is shared by every server (the managed one, a test
    server, one given by NEO4J_URI), and a stamp is drawn anew for every build, so one server's
    state neither overwrites another's nor is read for it."""
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{view}--{method}--{modality}--{stamp}")
    return settings.cache_dir / "predict-state" / f"{slug}.pkl"


def load(settings: Settings, view: str, method: str, modality: str, stamp: str) -> State | None:
    """The state saved at `stamp`, or None (none saved, unreadable, or of another layout)."""
    try:
        with path(settings, view, method, modality, stamp).open("rb") as f:
            state = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    ok = isinstance(state, State) and state.version == VERSION and state.stamp == stamp
    return state if ok else None


def save(
    settings: Settings, view: str, method: str, modality: str, state: State, replaces: str | None
) -> None:
    """Written beside, then renamed: a crash leaves the old state or the new, never half of one.
    The state it `replaces` (the stamp a refresh started from) is stale and goes; beyond that the
    KEEP newest of this view, method and modality stay."""
    target = path(settings, view, method, modality, state.stamp)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as f:
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(target)
    if replaces and replaces != state.stamp:
        path(settings, view, method, modality, replaces).unlink(missing_ok=True)
    stem = target.name[: -len(f"{state.stamp}.pkl")]
    # a stamp is a UUID: the same length
    mine = [p for p in target.parent.glob(f"{stem}*.pkl") if len(p.name) == len(target.name)]
    for old in sorted(mine, key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)
