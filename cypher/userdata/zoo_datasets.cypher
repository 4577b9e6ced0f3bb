// Every dataset of $modality (null: both) with how it is embedded, for `tg dataset embed --zoo` to
// skip the ones done: probe, sample (items embedded), seed, and items (in the source read).
MATCH (d:Dataset)
WHERE $modality IS NULL OR d.modality = $modality
RETURN d.id AS id, d.modality AS modality, d.probe_model AS probe, d.probe_sample AS sample,
       d.probe_seed AS seed, d.data_items AS items
ORDER BY id
