// Every source's saved state, for `tg sync --format json` and the tests.
MATCH (s:SourceState)
RETURN s.key AS key, s.kind AS kind, s.digest AS digest, s.cursors AS cursors,
       toString(s.updated_at) AS updated_at
ORDER BY key
