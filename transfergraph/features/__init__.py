"""Features of (model, dataset) pairs computed from a view: what every ranker learns from."""
