// Dataset features of a modality (size and class count, known before fine-tuning): $modality.
MATCH (d:Dataset {modality: $modality})
RETURN d.id AS dataset, d.num_samples AS num_samples, d.num_classes AS num_classes
ORDER BY dataset
