// Remove one (view, method)'s predictions for some datasets of a modality before writing new ones:
// $view, $method, $modality, $datasets (ids). Starts at the datasets (their id index), so a block of
// them costs its own edges, whatever the number of PREDICTED edges elsewhere.
MATCH (d:Dataset)
WHERE d.id IN $datasets AND d.modality = $modality
MATCH (d)<-[p:PREDICTED {view: $view, method: $method}]-(:Model)
DELETE p
RETURN count(p) AS removed
