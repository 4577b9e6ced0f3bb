"""Features of (model, dataset) pairs computed from a view: what every ranker learns from. table.py
joins them into one frame; collaborative.py computes the history features as sparse algebra over the
view's edges, so nothing scales with models x datasets."""
