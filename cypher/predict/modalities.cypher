// Modalities with accuracy edges in a view: $view.
MATCH (:Model)-[:ACCURACY_EDGE {view: $view}]->(d:Dataset)
RETURN DISTINCT d.modality AS modality
ORDER BY modality
