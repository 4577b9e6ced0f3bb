// Close a run once all its vectors are written: node count, wall time, timestamp.
// $run: the run's elementId; $seconds.
MATCH (e:EmbeddingRun) WHERE elementId(e) = $run
SET e.nodes = COUNT { (e)-[:EMBEDS]->() }, e.seconds = $seconds, e.created_at = datetime()
RETURN e.nodes AS nodes, e.created_at AS created_at
