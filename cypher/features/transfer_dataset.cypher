// features/transfer.cypher for one dataset ($dataset, $modality): its transferability scores, raw and
// z-scored over the models scored on it (the z of a dataset reads only its own scores).
MATCH (d:Dataset {id: $dataset})<-[t:TRANSFERABILITY]-(m:Model)
WHERE m.modality = $modality
WITH d, t.metric AS metric, collect({m: m.id, score: t.score}) AS rows,
     avg(t.score) AS mu, stDevP(t.score) AS sigma
UNWIND rows AS r
RETURN r.m AS model, d.id AS dataset, metric, r.score AS score,
       CASE WHEN sigma > 0 THEN (r.score - mu) / sigma ELSE 0.0 END AS z
