// The ranking of one dataset in a view by one method, with what a user needs to judge it: the
// measured accuracy when a run exists, architecture, size, LogME, and the evidence (the datasets
// most similar to this one on which the model did well in the view, with similarity and accuracy).
// $dataset, $view, $method, $top, $evidence (how many evidence datasets per model), $exclude_tried
// (leave out the models with a fine-tuning run of any regime on the dataset: they are measured).
// The filters (transfergraph/readback/filters.py; null or [] filters nothing): $max_params,
// $max_memory (bytes, $bytes_per_parameter x parameters), $model_types, $architectures, $licenses
// (lower case, any of), $exclude (regular expressions on the id). A model without the property a
// filter reads fails it. readback/filtered_out.cypher counts the same conditions.
MATCH (m:Model)-[p:PREDICTED {view: $view, method: $method}]->(t:Dataset {id: $dataset})
WHERE (NOT $exclude_tried OR NOT EXISTS { (m)-[:FINETUNED_ON]->(t) })
  AND ($max_params IS NULL OR m.num_parameters <= $max_params)
  AND ($max_memory IS NULL OR m.num_parameters * $bytes_per_parameter <= $max_memory)
  AND ($model_types IS NULL OR toLower(m.model_type) IN $model_types)
  AND ($architectures IS NULL
       OR any(a IN CASE WHEN valueType(m.architectures) = 'STRING NOT NULL' THEN [m.architectures]
                        ELSE coalesce(m.architectures, []) END
              WHERE toLower(a) IN $architectures))
  AND ($licenses IS NULL
       OR any(l IN CASE WHEN valueType(m.licenses) = 'STRING NOT NULL' THEN [m.licenses]
                        ELSE coalesce(m.licenses, []) END
              WHERE toLower(l) IN $licenses))
  AND none(x IN $exclude WHERE m.id =~ x)
WITH m, t, p
ORDER BY p.score DESC, m.id
LIMIT $top
CALL (m, t) {
  OPTIONAL MATCH (m)-[r:FINETUNED_ON {peft: 'full'}]->(t)
  RETURN max(r.accuracy) AS measured
}
CALL (m, t) {
  OPTIONAL MATCH (m)-[s:TRANSFERABILITY {metric: 'LogME'}]->(t)
  RETURN max(s.score) AS logme
}
CALL (m, t) {
  OPTIONAL MATCH (t)-[s:SIMILARITY_EDGE {view: $view}]-(d:Dataset)<-[a:ACCURACY_EDGE {view: $view, positive: true}]-(m)
  WHERE d <> t
  WITH d, max(s.similarity) AS similarity, avg(a.norm_accuracy) AS norm_accuracy
  ORDER BY similarity DESC, d.id
  LIMIT $evidence
  OPTIONAL MATCH (m)-[r:FINETUNED_ON {peft: 'full'}]->(d)
  WITH d, similarity, norm_accuracy, max(r.accuracy) AS accuracy
  ORDER BY similarity DESC, d.id
  RETURN collect(CASE WHEN d IS NULL THEN null ELSE {dataset: d.id, similarity: similarity,
                 accuracy: accuracy, normalised_accuracy: norm_accuracy} END) AS evidence
}
RETURN m.id AS model, p.score AS score, measured, m.model_type AS model_type,
       CASE WHEN m.architectures IS NULL OR size(m.architectures) = 0 THEN null
            ELSE m.architectures[0] END AS architecture,
       m.num_parameters AS num_parameters, logme, evidence, p.ranked_by AS ranked_by, p.fallback AS fallback,
       p.top_k AS top_k, p.expected AS expected, p.expected_low AS low, p.expected_high AS high,
       p.no_interval AS no_interval, p.expected_from AS expected_from
ORDER BY score DESC, model
