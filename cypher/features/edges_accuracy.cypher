// Every model of a modality with its accuracy edges in one view, one row per model (streamed: no
// ORDER BY, no aggregation across models): $view, $modality. The lists are aligned; a pair with
// several edges (`--aggregate none`) repeats its dataset, and the reader averages them as
// features/graph.cypher does. A model without edges still comes, with empty lists.
MATCH (m:Model {modality: $modality})
CALL (m) {
  OPTIONAL MATCH (m)-[a:ACCURACY_EDGE {view: $view}]->(d:Dataset)
  WHERE a.norm_accuracy IS NOT NULL
  RETURN collect(d.id) AS datasets, collect(a.norm_accuracy) AS accuracies
}
RETURN m.id AS model, datasets, accuracies
