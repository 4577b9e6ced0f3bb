"""What a full `tg predict` leaves behind for a refresh of one dataset (`tg predict --dataset D`).

At a million models, exporting the view's edges, reading the model metadata, fitting and calibrating
take minutes; ranking one new dataset must take seconds (issue 17, item 5). A full run pickles its
exported edges, its fitted ranker and its calibration under the cache with the view's stamp (a new
one at every `tg graph build` and every refresh of a dataset, `cypher/prune/`). A refresh reuses them
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
    fitted: Any  # run.Fitted
    calibration: tuple[Any, Any, str | None]  # run.calibration's result
    version: int = VERSION


def path(settings: Settings, view: str, method: str, modality: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{view}--{method}--{modality}")
    return settings.cache_dir / "predict-state" / f"{slug}.pkl"


def load(settings: Settings, view: str, method: str, modality: str) -> State | None:
    """The saved state, or None (none saved, unreadable, or of another layout)."""
    try:
        with path(settings, view, method, modality).open("rb") as f:
            state = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return state if isinstance(state, State) and state.version == VERSION else None


def save(settings: Settings, view: str, method: str, modality: str, state: State) -> None:
    """Written beside, then renamed: a crash leaves the old state or the new, never half of one."""
    target = path(settings, view, method, modality)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as f:
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(target)
