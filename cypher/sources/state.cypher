// Where one source got to (transfergraph/ingest/state.py): $key -> its saved state, or no row.
MATCH (s:SourceState {key: $key})
RETURN s.kind AS kind, s.options AS options, s.digest AS digest, s.cursors AS cursors, s.paths AS paths
