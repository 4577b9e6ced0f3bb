// Is a (view, method)'s prediction older than the view's last build or the last ingest?
// $dataset, $view, $method, $modality.
MATCH (:Model)-[p:PREDICTED {view: $view, method: $method}]->(:Dataset {id: $dataset})
WITH min(p.created_at) AS created_at, min(p.history_runs) AS runs_then
OPTIONAL MATCH (v:View {name: $view})
WITH created_at, runs_then, v.built_at AS built_at
RETURN created_at, built_at, runs_then,
       COUNT { (:Model)-[:FINETUNED_ON]->(:Dataset {modality: $modality}) } AS runs_now
