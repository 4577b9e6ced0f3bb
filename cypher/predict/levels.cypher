// The accuracy level of each dataset of $modality in a view: the lowest and highest aggregated
// accuracy that graph/accuracy.cypher normalised by (so accuracy = lo + norm_accuracy * (hi - lo)).
// The view's own settings: $target (hidden), $runs, $aggregate. Datasets whose accuracies are all
// equal have no edges and no level.
MATCH (m:Model)-[r:FINETUNED_ON]->(d:Dataset {modality: $modality})
WHERE ($target IS NULL OR d.id <> $target)
  AND ($runs = 'all' OR r.peft = $runs)
  AND r.accuracy IS NOT NULL
WITH m, d, CASE WHEN $aggregate = 'none' THEN r.run_id END AS run,
     CASE WHEN $aggregate = 'max' THEN max(r.accuracy) ELSE avg(r.accuracy) END AS accuracy
WITH d, min(accuracy) AS lo, max(accuracy) AS hi
WHERE hi > lo
RETURN d.id AS dataset, lo, hi
ORDER BY dataset
