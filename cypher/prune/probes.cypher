// The probes whose distances a view uses, per modality, in priority order: the probe covering the
// most dataset pairs (the paper's: google_vit_base_patch16_224 for images, EleutherAI_gpt-neo-125m
// for text), then every probe `tg dataset add/embed` computed distances with here (computed: true),
// so a user's dataset placed in its own probe space is in the view too. Other probes of a source
// (the paper's gpt2 matrix) stay out, as in the paper's graph.
MATCH (a:Dataset)-[s:SIMILAR_TO]->(:Dataset)
WITH a.modality AS modality, s.probe_model AS probe, count(*) AS pairs,
     any(c IN collect(s.computed) WHERE c = true) AS computed
ORDER BY modality, pairs DESC, probe
WITH modality, collect({probe: probe, computed: computed}) AS probes
UNWIND range(0, size(probes) - 1) AS rank
WITH modality, probes[rank] AS p, rank
WHERE rank = 0 OR p.computed
RETURN modality, p.probe AS probe, rank
ORDER BY modality, rank
