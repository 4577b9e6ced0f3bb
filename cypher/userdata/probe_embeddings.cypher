// The datasets placed in one probe's space (`tg dataset add/embed`), but $id itself: their
// embeddings, to compute the new dataset's distances to. $probe, $modality, $id.
MATCH (d:Dataset {probe_model: $probe, modality: $modality})
WHERE d.id <> $id AND d.probe_embedding IS NOT NULL
RETURN d.id AS id, d.probe_embedding AS embedding
ORDER BY id
