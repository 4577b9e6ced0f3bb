"""Loaders: each turns one source into canonical records for `tg ingest`."""
