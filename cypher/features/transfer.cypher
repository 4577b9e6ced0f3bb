// Transferability scores (computed without fine-tuning, so no view hides them), raw and z-scored
// over the models scored on the same dataset: $modality. One row per (model, dataset, metric).
MATCH (m:Model {modality: $modality})-[t:TRANSFERABILITY]->(d:Dataset)
WITH d, t.metric AS metric, collect({m: m.id, score: t.score}) AS rows,
     avg(t.score) AS mu, stDevP(t.score) AS sigma
UNWIND rows AS r
RETURN r.m AS model, d.id AS dataset, metric, r.score AS score,
       CASE WHEN sigma > 0 THEN (r.score - mu) / sigma ELSE 0.0 END AS z
ORDER BY model, dataset, metric
