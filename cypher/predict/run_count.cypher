// Fine-tuning runs on datasets of a modality (a cheap fingerprint of the history): $modality.
MATCH (:Model)-[r:FINETUNED_ON]->(:Dataset {modality: $modality})
RETURN count(r) AS runs
