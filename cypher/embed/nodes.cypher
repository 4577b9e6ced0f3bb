// The nodes one modality of a view touches (any edge, negative ones included), with the metadata
// the GNN features are made of.
// $view, $modality.
MATCH (a)-[r:ACCURACY_EDGE|PRETRAINED_EDGE|TRANSFER_EDGE|SIMILARITY_EDGE {view: $view}]->(b:Dataset)
WHERE b.modality = $modality
WITH collect(DISTINCT a) + collect(DISTINCT b) AS touched
UNWIND touched AS n
WITH DISTINCT n
RETURN CASE WHEN n:Model THEN 'Model' ELSE 'Dataset' END AS label, n.id AS id,
       n {.num_parameters, .memory_bytes, .input_size, .source_accuracy, .model_type,
          .num_samples, .num_classes} AS properties
ORDER BY label, id
