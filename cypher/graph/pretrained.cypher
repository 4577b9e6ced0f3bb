// Model->source-dataset edges from model cards (docs/method.md, "The learning graph"):
// the model-card accuracy, min-max normalised among the models pre-trained on the same dataset,
// thresholded like fine-tuning accuracy. Cards without an accuracy and single-model groups
// carry no comparison and give no edge. Switch: --no-pretrained.
MATCH (m:Model)-[p:PRETRAINED_ON]->(d:Dataset)
WHERE p.accuracy IS NOT NULL
  AND ($modality IS NULL OR d.modality = $modality)
WITH d, collect({m: m, accuracy: p.accuracy}) AS pairs, min(p.accuracy) AS lo, max(p.accuracy) AS hi
WHERE hi > lo
UNWIND pairs AS pair
WITH pair.m AS m, d, (pair.accuracy - lo) / (hi - lo) AS norm
WHERE norm > $accuracy_pos OR norm <= $accuracy_neg
CREATE (m)-[:PRETRAINED_EDGE {view: $view, norm_accuracy: norm, positive: norm > $accuracy_pos}]->(d)
RETURN count(*) AS edges
