// Methods with predictions for a dataset in a view, newest first: $dataset, $view.
MATCH (:Model)-[p:PREDICTED {view: $view}]->(:Dataset {id: $dataset})
RETURN p.method AS method, max(p.created_at) AS created_at, count(p) AS models
ORDER BY created_at DESC
