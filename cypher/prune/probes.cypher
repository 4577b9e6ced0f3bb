// The probe model whose distances cover the most dataset pairs, per modality: the paper's
// (google_vit_base_patch16_224 for images, EleutherAI_gpt-neo-125m for text).
MATCH (a:Dataset)-[s:SIMILAR_TO]->(:Dataset)
WITH a.modality AS modality, s.probe_model AS probe, count(*) AS pairs
ORDER BY modality, pairs DESC, probe
WITH modality, collect(probe)[0] AS probe
RETURN modality, probe
