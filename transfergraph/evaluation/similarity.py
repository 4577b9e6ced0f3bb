"""How well the probe embeddings computed here agree with the published similarity matrix: the rank
correlation of the two distances over the dataset pairs both cover (`tg evaluate --similarity
computed` reports it beside the protocol run on a view built from the computed probes only).
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j
import numpy as np

from transfergraph.db import run
from transfergraph.numeric import ranks

Pair = tuple[str, str]


@dataclass(frozen=True)
class Agreement:
    modality: str
    published_probe: str
    computed_probe: str
    pairs: int  # dataset pairs with both distances
    spearman: float | None  # None below 3 shared pairs, or when one side is constant


def rank_correlation(published: dict[Pair, float], computed: dict[Pair, float]) -> tuple[int, float | None]:
    """(shared pairs, Spearman's rho of the two distances over them); pairs are unordered."""
    a = {tuple(sorted(k)): v for k, v in published.items()}
    b = {tuple(sorted(k)): v for k, v in computed.items()}
    shared = sorted(set(a) & set(b))
    if len(shared) < 3:
        return len(shared), None
    x = ranks(np.array([a[p] for p in shared], dtype=np.float64))
    y = ranks(np.array([b[p] for p in shared], dtype=np.float64))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return len(shared), None
    return len(shared), float(np.corrcoef(x, y)[0, 1])


def _distances(drv: neo4j.Driver, probe: str) -> dict[Pair, float]:
    return {(r["a"], r["b"]): float(r["distance"]) for r in run(drv, "readback/probe_distances", probe=probe)}


def agreement(drv: neo4j.Driver, modality: str | None = None) -> list[Agreement]:
    """Per modality (or the one given) and computed probe: its agreement with the published probe a
    view uses first (cypher/graph/probes.cypher). No row for a modality without both."""
    rows = run(drv, "graph/probes", computed_only=False)
    out: list[Agreement] = []
    for m in sorted({r["modality"] for r in rows if modality in (None, r["modality"])}):
        probes = [r for r in rows if r["modality"] == m]
        published = [r["probe"] for r in probes if not r["computed"]]
        if not published:
            continue
        main = _distances(drv, published[0])
        for r in probes:
            if r["computed"]:
                n, rho = rank_correlation(main, _distances(drv, r["probe"]))
                out.append(Agreement(m, published[0], r["probe"], n, rho))
    return out
