// The pre-training (source) datasets of a modality's models, one row per edge (streamed):
// $modality. A raw fact, the same in every view, as in features/graph.cypher.
MATCH (m:Model {modality: $modality})-[:PRETRAINED_ON]->(src:Dataset)
RETURN m.id AS model, src.id AS source
