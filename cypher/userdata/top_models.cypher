// The $n models to score first on $dataset: the best-ranked by its predictions in the production
// view (the method `tg evaluate` recorded, else any), then by their mean normalised accuracy
// elsewhere (the model prior), among the models of the dataset's modality. $dataset, $n.
MATCH (d:Dataset {id: $dataset})
OPTIONAL MATCH (c:Choice {modality: d.modality})
MATCH (m:Model {modality: d.modality})
CALL (m, d, c) {
  OPTIONAL MATCH (m)-[p:PREDICTED {view: 'all'}]->(d)
  WHERE c IS NULL OR p.method = c.method
  RETURN max(p.score) AS predicted
}
CALL (m, d) {
  OPTIONAL MATCH (m)-[a:ACCURACY_EDGE {view: 'all'}]->(other:Dataset)
  WHERE other <> d
  RETURN avg(a.norm_accuracy) AS prior
}
RETURN m.id AS model, predicted, prior
ORDER BY predicted IS NULL, predicted DESC, prior IS NULL, prior DESC, model
LIMIT $n
