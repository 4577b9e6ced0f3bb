// The probes whose distances a view uses, per modality, in priority order: the published probe
// covering the most dataset pairs (the paper's: google_vit_base_patch16_224 for images,
// EleutherAI_gpt-neo-125m for text), then every probe whose distances were computed here
// (computed: true, by `tg dataset add/embed` or `tg ingest fingerprints`), for the pairs the first
// does not cover; a computed probe never displaces the published one, however many pairs it has.
// Other published probes (the paper's gpt2 matrix) stay out, as in the paper's graph.
// $computed_only: only the computed probes (a view whose similarity comes from fingerprints).
MATCH (a:Dataset)-[s:SIMILAR_TO]->(:Dataset)
WITH a.modality AS modality, s.probe_model AS probe, count(*) AS pairs,
     any(c IN collect(s.computed) WHERE c = true) AS computed
WHERE computed OR NOT $computed_only
ORDER BY modality, computed, pairs DESC, probe
WITH modality, collect({probe: probe, computed: computed}) AS probes
UNWIND range(0, size(probes) - 1) AS rank
WITH modality, probes[rank] AS p, rank
WHERE rank = 0 OR p.computed
RETURN modality, p.probe AS probe, p.computed AS computed, rank
ORDER BY modality, rank
