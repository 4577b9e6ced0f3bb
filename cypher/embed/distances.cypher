// The probe-model distance matrix behind a view's similarity edges in one modality (the raw
// SIMILAR_TO distances: dataset properties, not fine-tuning history, so no target can leak).
// $view, $modality.
MATCH ()-[e:SIMILARITY_EDGE {view: $view}]->(:Dataset {modality: $modality})
WITH DISTINCT e.probe_model AS probe
MATCH (a:Dataset)-[s:SIMILAR_TO {probe_model: probe}]->(b:Dataset)
WHERE a.modality = $modality AND b.modality = $modality
RETURN a.id AS a, b.id AS b, s.distance AS distance
ORDER BY a, b
