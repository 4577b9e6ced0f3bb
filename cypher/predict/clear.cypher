// Remove one (view, method)'s predictions for a modality before writing new ones: $view, $method, $modality.
MATCH (:Model)-[p:PREDICTED {view: $view, method: $method}]->(d:Dataset {modality: $modality})
DELETE p
RETURN count(p) AS removed
