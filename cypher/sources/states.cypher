// Every source's saved state, for the tests and a look at what a sync remembers.
MATCH (s:SourceState)
RETURN s.key AS key, s.kind AS kind, s.digest AS digest, s.cursors AS cursors, s.paths AS paths
ORDER BY key
