// Remove at most $batch of one view's derived edges ($view), returning how many: `tg graph build`
// repeats it until none is left, so no transaction holds a million-model view's edges at once.
MATCH ()-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->()
WITH r LIMIT $batch
DELETE r
RETURN count(r) AS removed
