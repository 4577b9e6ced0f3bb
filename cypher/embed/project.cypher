// GDS Cypher projection of one modality of a view for Node2Vec: positive model->dataset edges and
// dataset-dataset similarity edges, undirected (docs/method.md, "Departures from the paper's code"), weighted by the normalised
// accuracy or similarity (Node2Vec+ at p = q = 1 walks in proportion to it, docs/method.md, "Embeddings";
// transferability edges have no normalised weight and count 1). Relationships whose elementId is
// in $hidden are left out (held out for an honest link-prediction AUC). Rows are ordered by key:
// GDS numbers nodes in the order it meets them, and a rebuild gives the edges new element ids, so
// without the order the same view and seed walked differently after every `tg graph build`.
// $graph: the catalog name; $view, $modality; $hidden: list of elementIds (usually empty).
MATCH (a)-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(b:Dataset)
WHERE b.modality = $modality AND coalesce(r.positive, true) AND NOT elementId(r) IN $hidden
WITH a, b, r ORDER BY labels(a)[0], a.id, b.id, type(r)
RETURN gds.graph.project(
  $graph, a, b,
  {relationshipProperties: {weight: toFloat(coalesce(r.norm_accuracy, r.similarity, 1.0))}},
  {undirectedRelationshipTypes: ['*']}
)
