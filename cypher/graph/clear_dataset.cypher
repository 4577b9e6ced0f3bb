// Before re-deriving one dataset's part of a view (`tg predict --dataset`): its accuracy and
// transferability edges, and the view's similarity edges of its modality (a new distance can move
// the min-max range of its probe, so all of that probe's pairs are re-derived). $view, $dataset.
MATCH (d:Dataset {id: $dataset})
OPTIONAL MATCH (:Model)-[r:ACCURACY_EDGE|TRANSFER_EDGE {view: $view}]->(d)
DELETE r
WITH d, count(r) AS model_edges
OPTIONAL MATCH (:Dataset {modality: d.modality})-[s:SIMILARITY_EDGE {view: $view}]->(:Dataset)
DELETE s
RETURN model_edges, count(s) AS similarity_edges
