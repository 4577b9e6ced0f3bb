// Record where one source got to, after its writes succeeded (a crash before this re-reads it).
// $state = {kind, options, digest, cursors, paths}. A file source's key holds its content digest
// and options: the first files ingested with that content keep their paths (as a run keeps the
// file it was first loaded from), and a new content of the same files supersedes their old state.
MERGE (s:SourceState {key: $key})
ON CREATE SET s.paths = $state.paths
SET s.kind = $state.kind, s.options = $state.options, s.digest = $state.digest, s.cursors = $state.cursors
WITH s
CALL (s) {
  MATCH (old:SourceState {kind: s.kind})
  WHERE old.key <> s.key AND s.paths IS NOT NULL AND old.paths = s.paths
  DELETE old
}
RETURN s.key AS key
