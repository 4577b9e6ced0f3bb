// Record where one source got to, after its writes succeeded (a crash before this re-reads it).
// $state = {kind, options, digest, cursors}: a null digest or cursors removes the old one.
MERGE (s:SourceState {key: $key})
SET s.kind = $state.kind, s.options = $state.options, s.digest = $state.digest,
    s.cursors = $state.cursors, s.updated_at = datetime()
RETURN s.key AS key
