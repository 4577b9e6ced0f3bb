"""The learning graph (`tg graph`): views of thresholded edges derived in Cypher from the raw facts
(`build`: build, refresh, drop, describe)."""

from transfergraph.graph.build import (
    PAPER_STATS,
    RANGES,
    STAT_COUNTS,
    BuildSettings,
    BuiltView,
    GraphBuild,
    GraphStats,
    ModalityStats,
    ViewInfo,
    ViewList,
    build,
    check_view_name,
    drop,
    refresh_dataset,
    stats,
    view_name,
    views,
)

__all__ = [
    "PAPER_STATS", "RANGES", "STAT_COUNTS", "BuildSettings", "BuiltView", "GraphBuild", "GraphStats",
    "ModalityStats", "ViewInfo", "ViewList", "build", "check_view_name", "drop",
    "refresh_dataset", "stats", "view_name", "views",
]  # fmt: skip
