// Model->dataset accuracy edges of a view (docs/method.md, "The learning graph"; filter, then aggregate).
// Fine-tuning runs of the chosen regime ($runs: 'full' | 'lora' | 'all'), except those on the
// view's $target (hidden, not deleted), aggregated per (model, dataset) ($aggregate: 'mean' |
// 'max' | 'none' = one edge per run, as the paper did), min-max normalised per dataset.
// positive: normalised accuracy > $accuracy_pos; negative: <= $accuracy_neg; a dataset whose
// accuracies are all equal gives no edge (no evidence about any model). $datasets: the datasets to
// derive, a block of them per transaction (normalisation is within a dataset, so blocks are
// independent; one transaction for a million-model zoo outgrew the server's transaction memory).
UNWIND $datasets AS id
MATCH (d:Dataset {id: id})
WHERE ($target IS NULL OR d.id <> $target)
  AND ($modality IS NULL OR d.modality = $modality)
MATCH (m:Model)-[r:FINETUNED_ON]->(d)
WHERE ($runs = 'all' OR r.peft = $runs)
  AND r.accuracy IS NOT NULL
WITH m, d, CASE WHEN $aggregate = 'none' THEN r.run_id END AS run,
     CASE WHEN $aggregate = 'max' THEN max(r.accuracy) ELSE avg(r.accuracy) END AS accuracy
WITH d, collect({m: m, accuracy: accuracy}) AS pairs, min(accuracy) AS lo, max(accuracy) AS hi
WHERE hi > lo
UNWIND pairs AS pair
WITH pair.m AS m, d, (pair.accuracy - lo) / (hi - lo) AS norm
WHERE norm > $accuracy_pos OR norm <= $accuracy_neg
CREATE (m)-[:ACCURACY_EDGE {view: $view, norm_accuracy: norm, positive: norm > $accuracy_pos}]->(d)
RETURN count(*) AS edges
