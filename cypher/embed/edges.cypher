// Every edge of one modality of a view, for export (GNN training, held-out splits, AUC): positive
// and negative model->dataset edges and dataset-dataset similarity edges.
// Ordered by what an edge is, not by its element id (a rebuild reassigns those), so the GNN's edge
// order and the held-out splits are the same for the same graph. $view, $modality.
MATCH (a)-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(b:Dataset)
WHERE b.modality = $modality
RETURN elementId(r) AS rel, type(r) AS type, CASE WHEN a:Model THEN 'Model' ELSE 'Dataset' END AS source_label,
       a.id AS source, b.id AS target, coalesce(r.positive, true) AS positive,
       toFloat(coalesce(r.norm_accuracy, r.similarity, 1.0)) AS weight
ORDER BY type, source_label, source, target
