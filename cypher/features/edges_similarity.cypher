// Every dataset of a modality with its similarity edges in one view, read undirected, one row per
// dataset (streamed): $view, $modality. An edge between two datasets of the modality comes in both
// rows; the reader averages each pair's edges as features/graph.cypher does (and keeps their
// maximum for the source similarity). A dataset without edges still comes, with empty lists.
MATCH (D:Dataset {modality: $modality})
CALL (D) {
  OPTIONAL MATCH (D)-[s:SIMILARITY_EDGE {view: $view}]-(d:Dataset)
  WHERE d <> D AND s.similarity IS NOT NULL
  RETURN collect(d.id) AS others, collect(s.similarity) AS similarities
}
RETURN D.id AS dataset, others, similarities
