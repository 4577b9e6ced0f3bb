// Remove the stored embeddings of (view, method): their runs, the EMBEDS vectors and, for the
// production view, the vector property on the nodes. Called before a re-run writes, so a
// (view, method) never has two copies.
// $view, $method.
OPTIONAL MATCH (e:EmbeddingRun {view: $view, method: $method})
OPTIONAL MATCH (e)-[:EMBEDS]->(n)
FOREACH (_ IN CASE WHEN n IS NOT NULL AND e.node_property IS NOT NULL THEN [1] ELSE [] END |
  SET n[e.node_property] = null)
WITH collect(DISTINCT e) AS runs
FOREACH (e IN runs | DETACH DELETE e)
RETURN size(runs) AS removed
