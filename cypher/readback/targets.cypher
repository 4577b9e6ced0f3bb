// The wider protocol's targets: every dataset of $modality on which at least $min_models models have
// a full fine-tuning run with an accuracy (raw facts, as the ground truth counts them).
MATCH (m:Model)-[r:FINETUNED_ON {peft: 'full'}]->(d:Dataset {modality: $modality})
WHERE r.accuracy IS NOT NULL
WITH d, count(DISTINCT m) AS models
WHERE models >= $min_models
RETURN d.id AS dataset, models
ORDER BY dataset
