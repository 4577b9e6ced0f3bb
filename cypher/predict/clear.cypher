// Remove one (view, method)'s predictions for a modality before writing new ones: $view, $method,
// $modality; $datasets: null (all of the modality) or the datasets a refresh re-predicts.
MATCH (:Model)-[p:PREDICTED {view: $view, method: $method}]->(d:Dataset {modality: $modality})
WHERE $datasets IS NULL OR d.id IN $datasets
DELETE p
RETURN count(p) AS removed
