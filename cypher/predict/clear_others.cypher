// After a full `tg predict`: remove one (view, method)'s predictions for the datasets of $modality
// that it did not predict ($datasets: the ones it did), e.g. a dataset no longer in the view.
MATCH (d:Dataset {modality: $modality})
WHERE NOT d.id IN $datasets
MATCH (d)<-[p:PREDICTED {view: $view, method: $method}]-(:Model)
DELETE p
RETURN count(p) AS removed
