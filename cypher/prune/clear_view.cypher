// Remove one view: its derived edges and its (:View) node. Raw facts are never touched.
// $view: the view's name.
OPTIONAL MATCH ()-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->()
DELETE r
WITH count(r) AS removed
OPTIONAL MATCH (v:View {name: $view})
DETACH DELETE v
RETURN removed, count(v) AS views
