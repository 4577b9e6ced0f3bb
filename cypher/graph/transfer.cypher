// Model->dataset transferability edges (docs/method.md, "The learning graph"): the $metric score (LogME by default)
// z-scored over the models scored on each dataset; positive if z >= $transfer_pos, negative if
// z < $transfer_neg. A score needs no fine-tuning on the dataset, so the view's target keeps its
// edges. Off unless --logme (the paper's shipped runs do not use it). $dataset: null, or the one
// dataset to derive (z-scores are within a dataset).
MATCH (m:Model)-[t:TRANSFERABILITY {metric: $metric}]->(d:Dataset)
WHERE ($modality IS NULL OR d.modality = $modality) AND ($dataset IS NULL OR d.id = $dataset)
WITH d, collect({m: m, score: t.score}) AS pairs, avg(t.score) AS mu, stDevP(t.score) AS sigma
WHERE sigma > 0
UNWIND pairs AS pair
WITH pair.m AS m, d, (pair.score - mu) / sigma AS z
WHERE z >= $transfer_pos OR z < $transfer_neg
CREATE (m)-[:TRANSFER_EDGE {view: $view, z: z, positive: z >= $transfer_pos}]->(d)
RETURN count(*) AS edges
