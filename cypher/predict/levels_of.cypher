// predict/levels.cypher for some datasets only ($datasets, $modality, $target, $runs, $aggregate),
// starting at them: a refresh of one dataset does not read every run of the modality.
MATCH (d:Dataset)
WHERE d.id IN $datasets AND d.modality = $modality AND ($target IS NULL OR d.id <> $target)
MATCH (m:Model)-[r:FINETUNED_ON]->(d)
WHERE ($runs = 'all' OR r.peft = $runs) AND r.accuracy IS NOT NULL
WITH m, d, CASE WHEN $aggregate = 'none' THEN r.run_id END AS run,
     CASE WHEN $aggregate = 'max' THEN max(r.accuracy) ELSE avg(r.accuracy) END AS accuracy
WITH d, min(accuracy) AS lo, max(accuracy) AS hi
WHERE hi > lo
RETURN d.id AS dataset, lo, hi
ORDER BY dataset
