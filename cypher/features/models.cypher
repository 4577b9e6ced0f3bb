// Model metadata of a modality (known before any fine-tuning), one row per model: $modality. A model
// pre-trained on several datasets names the first by id (its source similarity feature reads them all).
MATCH (m:Model {modality: $modality})
CALL (m) {
  OPTIONAL MATCH (m)-[:PRETRAINED_ON]->(src:Dataset)
  RETURN min(src.id) AS first_source
}
RETURN m.id AS model, m.num_parameters AS num_parameters, m.memory_bytes AS memory_bytes,
       m.input_size AS input_size, m.source_accuracy AS source_accuracy, m.model_type AS model_type,
       CASE WHEN m.architectures IS NULL OR size(m.architectures) = 0 THEN null
            ELSE m.architectures[0] END AS architecture,
       coalesce(m.source_dataset, first_source) AS source_dataset
ORDER BY model
