"""Features of (model, dataset) pairs for the learned rankers, computed from a view of the graph."""
