// One dataset's accuracy edges in one view, one row per edge: $view, $modality, $dataset. What a
// refresh of that dataset patches into the edges a full `tg predict` exported (predict/state.py).
MATCH (d:Dataset {id: $dataset})<-[a:ACCURACY_EDGE {view: $view}]-(m:Model)
WHERE m.modality = $modality AND a.norm_accuracy IS NOT NULL
RETURN m.id AS model, a.norm_accuracy AS accuracy
