// Fine-tuning runs on datasets of a modality (a cheap fingerprint of the history): $modality.
// Sums the datasets' degrees, reading no run: every FINETUNED_ON starts at a Model, so this is the
// count of (:Model)-[:FINETUNED_ON]->(d) (readback/context.cypher compares against it). At 10M runs
// reading each run took 4 s, the largest part of a one-dataset `tg predict --dataset`.
MATCH (d:Dataset {modality: $modality})
RETURN sum(COUNT { (d)<-[:FINETUNED_ON]-() }) AS runs
