// Remove one view: its derived edges, its (:View) node and its stored embeddings (EmbeddingRun
// nodes, their EMBEDS vectors and, for the production view, the vector node properties; an
// embedding of edges that no longer exist would be stale). Raw facts are never touched.
// $view: the view's name.
OPTIONAL MATCH (e:EmbeddingRun {view: $view})
OPTIONAL MATCH (e)-[:EMBEDS]->(n)
FOREACH (_ IN CASE WHEN n IS NOT NULL AND e.node_property IS NOT NULL THEN [1] ELSE [] END |
  SET n[e.node_property] = null)
WITH collect(DISTINCT e) AS runs
FOREACH (e IN runs | DETACH DELETE e)
WITH count(*) AS done
OPTIONAL MATCH ()-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->()
DELETE r
WITH count(r) AS removed
OPTIONAL MATCH (v:View {name: $view})
DETACH DELETE v
RETURN removed, count(v) AS views
