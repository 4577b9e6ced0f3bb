// features/models.cypher for some models only ($ids, $modality): the metadata of the rows a refresh
// of one dataset scores, looked up by id instead of reading every model of the modality.
UNWIND $ids AS id
MATCH (m:Model {id: id})
WHERE m.modality = $modality
CALL (m) {
  OPTIONAL MATCH (m)-[:PRETRAINED_ON]->(src:Dataset)
  RETURN min(src.id) AS first_source
}
RETURN m.id AS model, m.num_parameters AS num_parameters, m.memory_bytes AS memory_bytes,
       m.input_size AS input_size, m.source_accuracy AS source_accuracy, m.model_type AS model_type,
       CASE WHEN m.architectures IS NULL OR size(m.architectures) = 0 THEN null
            ELSE m.architectures[0] END AS architecture,
       coalesce(m.source_dataset, first_source) AS source_dataset
