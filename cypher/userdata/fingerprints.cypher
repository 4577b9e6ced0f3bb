// The datasets placed in a probe's space (`tg dataset add/embed`, `tg ingest fingerprints`), as
// fingerprints: $probes (null: every probe), $ids (null: every dataset).
MATCH (d:Dataset)
WHERE d.probe_embedding IS NOT NULL
  AND ($probes IS NULL OR d.probe_model IN $probes)
  AND ($ids IS NULL OR d.id IN $ids)
RETURN d.id AS id, d.modality AS modality, d.probe_model AS probe, d.probe_revision AS probe_revision,
       d.probe_embedding AS vector, d.probe_sample AS sample, d.probe_seed AS seed,
       d.data_source AS source, d.probe_created_at AS created_at, d.data_items AS items
ORDER BY id
