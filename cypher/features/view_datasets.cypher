// The datasets of a modality that carry accuracy edges in a view (its training datasets):
// $view, $modality.
MATCH (:Model)-[:ACCURACY_EDGE {view: $view}]->(d:Dataset {modality: $modality})
RETURN DISTINCT d.id AS dataset
ORDER BY dataset
