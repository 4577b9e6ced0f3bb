"""Graph embeddings of a view: Node2Vec in the server (GDS), GraphSAGE / GAT in PyTorch Geometric
(`run`); vectors stored keyed by (view, method) (`store`). torch is imported only by the GNN methods,
inside functions, so the core install runs Node2Vec without it."""

from transfergraph.embed.run import OPTIONS, embed, listing, resolve_options, vectors, views

__all__ = ["OPTIONS", "embed", "listing", "resolve_options", "vectors", "views"]
