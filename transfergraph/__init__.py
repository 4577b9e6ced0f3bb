"""TransferGraph: a model-zoo knowledge graph on Neo4j that ranks pre-trained models for a dataset.

`from transfergraph import TransferGraph` is the Python API (`transfergraph.api`); `tg` is its CLI.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["TransferGraph", "__version__"]


def __getattr__(name: str) -> Any:
    # lazy: `python -m transfergraph` and the build's version lookup do not pay for the API's imports
    if name == "TransferGraph":
        from transfergraph.api import TransferGraph

        return TransferGraph
    raise AttributeError(f"module 'transfergraph' has no attribute {name!r}")
